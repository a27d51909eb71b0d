"""manage.py clv_fit and clv_export."""

import csv
import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from analytics import btyd
from analytics.models import ClvRun, ClvScore
from analytics.services.clv import clv_prune_runs
from analytics.tests.clv_helpers import CALIBRATION_END, simulated_customers, stuck_optimiser

pytestmark = pytest.mark.django_db


@pytest.fixture
def buyers():
    return simulated_customers(200, holdout_days=28)


def fit(*args: str) -> list[str]:
    out = StringIO()
    call_command("clv_fit", "--calibration-end", CALIBRATION_END.isoformat(), *args, stdout=out)
    return out.getvalue().splitlines()


def test_clv_fit_stores_a_run_and_prints_its_parameters(buyers):
    lines = fit("--unit", "days", "--horizon", "60", "--penalizer", "0.001")

    run = ClvRun.objects.get()
    assert (run.unit, run.horizon, run.penalizer, run.trigger) == ("days", 60, 0.001, ClvRun.Trigger.COMMAND)
    printed = "\n".join(lines)
    assert f"CLV run {run.pk} to 2026-03-10 in days, horizon 60: 200 customers" in printed
    assert f"alpha={run.bgnbd_params['alpha']:.6g}" in printed and f"q={run.gamma_gamma_params['q']:.6g}" in printed
    assert "Holdout" not in printed


def test_with_json_the_last_line_is_one_object_with_the_figures(buyers):
    lines = fit("--holdout-end", (CALIBRATION_END + timedelta(days=28)).isoformat(), "--json")

    figures = json.loads(lines[-1])
    run = ClvRun.objects.get()
    assert {key: figures[key] for key in ("r", "alpha", "a", "b")} == run.bgnbd_params
    assert {key: figures[key] for key in ("p", "q", "v")} == run.gamma_gamma_params
    assert (figures["customers"], figures["log_likelihood"]) == (200, run.log_likelihood)
    assert figures["holdout"]["actual"] == run.holdout["actual"]
    assert any(line.startswith("Holdout (28 days)") for line in lines)


def test_clv_fit_refuses_bad_dates_and_reports_a_failed_fit(buyers, monkeypatch):
    with pytest.raises(CommandError, match="--calibration-end must be a date"):
        fit("--calibration-end", "10.03.2026")
    with pytest.raises(CommandError, match="holdout end must come after"):
        fit("--holdout-end", CALIBRATION_END.isoformat())
    monkeypatch.setattr(btyd, "minimize", stuck_optimiser)
    with pytest.raises(CommandError, match="The BG/NBD fit did not converge"):
        fit()
    assert not ClvRun.objects.exists()


def read_csv(path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def test_clv_export_writes_one_row_per_score_with_the_issue_columns(buyers, tmp_path):
    fit()
    run = ClvRun.objects.get()
    output = tmp_path / "clv.csv"

    call_command("clv_export", "--output", str(output), stdout=StringIO())

    rows = read_csv(output)
    assert list(rows[0]) == [
        "customer_ref", "frequency", "recency", "T", "monetary_value",
        "p_alive", "expected_purchases", "expected_average_value", "clv",
    ]  # fmt: skip
    assert len(rows) == ClvScore.objects.filter(run=run).count() == 200
    by_ref = {row["customer_ref"]: row for row in rows}
    for customer in buyers[:2]:  # the first has no external reference, the second has one
        score = ClvScore.objects.get(run=run, customer=customer)
        row = by_ref[customer.external_ref or str(customer.pk)]
        assert (int(row["frequency"]), float(row["T"]), row["clv"]) == (score.frequency, score.T, str(score.clv))
        assert float(row["p_alive"]) == score.p_alive


def test_clv_export_reads_the_chosen_run_and_refuses_pruned_or_unknown_ones(buyers, tmp_path):
    fit()
    fit("--unit", "days")
    first, second = ClvRun.objects.order_by("pk")
    output = tmp_path / "clv.csv"

    call_command("clv_export", "--output", str(output), "--run", str(first.pk), stdout=StringIO())
    ages = {float(row["T"]) for row in read_csv(output)}
    assert ages == set(ClvScore.objects.filter(run=first).values_list("T", flat=True))  # weeks, not days

    clv_prune_runs(keep=1)
    with pytest.raises(CommandError, match="scores were pruned"):
        call_command("clv_export", "--output", str(output), "--run", str(first.pk))
    with pytest.raises(CommandError, match="There is no CLV run 999"):
        call_command("clv_export", "--output", str(output), "--run", "999")
    assert second.pk > first.pk


def test_clv_export_without_any_run_says_so(tmp_path):
    with pytest.raises(CommandError, match="There is no CLV run yet"):
        call_command("clv_export", "--output", str(tmp_path / "clv.csv"))
