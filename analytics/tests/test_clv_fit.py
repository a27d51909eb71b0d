"""clv_fit_run: the fits, every customer's predictions, the stored run and its figures, pruning."""

from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pytest
from django.db import connection

from analytics import btyd
from analytics.db import copy_rows_binary
from analytics.models import ClvRun, ClvScore
from analytics.selectors.clv_summary import clv_purchase_summary
from analytics.services.clv import clv_fit_run, clv_prune_runs
from analytics.tests.clv_helpers import CALIBRATION_END, simulated_customers, stuck_optimiser

pytestmark = pytest.mark.django_db


@pytest.fixture
def buyers():
    return simulated_customers(300)


def scores_of(run: ClvRun) -> dict[int, ClvScore]:
    return {score.customer_id: score for score in ClvScore.objects.filter(run=run)}


def test_a_fit_stores_its_parameters_counts_and_timings_and_scores_every_buyer(buyers):
    run = clv_fit_run(calibration_end=CALIBRATION_END, unit="weeks")

    history = clv_purchase_summary(calibration_end=CALIBRATION_END, unit="weeks")
    assert set(run.bgnbd_params) == {"r", "alpha", "a", "b"} and set(run.gamma_gamma_params) == {"p", "q", "v"}
    assert all(value > 0 for value in [*run.bgnbd_params.values(), *run.gamma_gamma_params.values()])
    assert run.n_customers == len(buyers) == len(history.customer_id)
    assert run.n_repeat == int((history.frequency > 0).sum()) > 50
    assert run.log_likelihood == pytest.approx(
        btyd.bgnbd_log_likelihood(
            btyd.BgNbdParams(**run.bgnbd_params), history.frequency, history.recency, history.T
        ).sum()
    )
    assert set(run.timings) >= {"summary_s", "bgnbd_s", "gamma_gamma_s", "scores_s", "peak_mb"}
    assert run.finished_at and run.duration_ms is not None and run.scores_kept
    assert (run.unit, run.horizon, run.discount_rate) == ("weeks", pytest.approx(12 * 30.4375 / 7), 0.01)
    assert run.holdout == {}
    assert ClvScore.objects.filter(run=run).count() == len(buyers)


def test_each_score_is_the_models_prediction_for_that_customers_summary(buyers):
    run = clv_fit_run(calibration_end=CALIBRATION_END, unit="days", horizon=90)

    history = clv_purchase_summary(calibration_end=CALIBRATION_END, unit="days")
    bgnbd, spend = btyd.BgNbdParams(**run.bgnbd_params), btyd.GammaGammaParams(**run.gamma_gamma_params)
    x, t_x, age, m = history.frequency, history.recency, history.T, history.monetary_value
    value = btyd.gamma_gamma_expected_value(spend, x, m)
    expected = {
        "p_alive": btyd.bgnbd_p_alive(bgnbd, x, t_x, age),
        "expected_purchases": btyd.bgnbd_expected_purchases(bgnbd, 90, x, t_x, age),
        "clv": btyd.customer_lifetime_value(bgnbd, x, t_x, age, value, months=3, unit="days", discount_rate=0.01),
    }
    scores = scores_of(run)
    for i, customer in enumerate(history.customer_id.tolist()):
        score = scores[customer]
        assert (score.frequency, score.recency, score.T) == (x[i], t_x[i], age[i])
        assert score.monetary_value == Decimal(str(round(m[i], 2)))
        assert score.p_alive == pytest.approx(expected["p_alive"][i])
        assert score.expected_purchases == pytest.approx(expected["expected_purchases"][i])
        assert float(score.expected_average_value) == pytest.approx(value[i], abs=0.005)
        assert float(score.clv) == pytest.approx(expected["clv"][i], abs=0.006)
        if x[i] == 0:
            assert score.p_alive == 1.0


def test_the_summary_adds_up_the_scores(buyers):
    run = clv_fit_run(calibration_end=CALIBRATION_END)

    scores = list(ClvScore.objects.filter(run=run))
    summary = run.summary
    assert Decimal(summary["expected_revenue"]) == sum(score.clv for score in scores)
    assert summary["expected_purchases"] == pytest.approx(sum(score.expected_purchases for score in scores))
    assert summary["customers"] == len(scores)
    assert sum(bucket["customers"] for bucket in summary["clv_histogram"]) == len(scores)
    assert 5 <= len(summary["clv_histogram"]) <= 10
    assert summary["clv_histogram"][0]["from"] == "0.00"
    buckets = summary["clv_histogram"]
    assert all(a["to"] == b["from"] for a, b in zip(buckets, buckets[1:], strict=False))
    assert [band["from"] for band in summary["p_alive_bands"]] == [0.8, 0.5, 0.2, 0.0]
    assert sum(band["customers"] for band in summary["p_alive_bands"]) == len(scores)
    assert summary["p_alive_bands"][0]["customers"] == sum(score.p_alive >= 0.8 for score in scores)
    past = sorted(float(s.frequency * s.monetary_value) for s in scores if s.frequency > 0)
    assert float(summary["high_value_from"]) == pytest.approx(np.percentile(past, 75), abs=0.01)


def test_the_holdout_check_compares_predicted_and_actual_repeat_days():
    simulated_customers(300, holdout_days=28)

    run = clv_fit_run(calibration_end=CALIBRATION_END, holdout_end=CALIBRATION_END + timedelta(days=28), unit="days")

    history = clv_purchase_summary(
        calibration_end=CALIBRATION_END, holdout_end=CALIBRATION_END + timedelta(days=28), unit="days"
    )
    bgnbd = btyd.BgNbdParams(**run.bgnbd_params)
    predicted = btyd.bgnbd_expected_purchases(bgnbd, 28, history.frequency, history.recency, history.T)
    holdout = run.holdout
    assert holdout["days"] == 28
    assert holdout["actual"] == int(history.holdout_purchases.sum()) > 0
    assert holdout["predicted"] == pytest.approx(predicted.sum())
    assert holdout["mae"] == pytest.approx(np.abs(predicted - history.holdout_purchases).mean())
    rows = holdout["by_frequency"]
    assert [row["frequency"] for row in rows] == [0, 1, 2, 3, 4, 5, 6, "7+"]
    assert sum(row["customers"] for row in rows) == run.n_customers
    once = history.frequency == 1
    assert rows[1]["customers"] == int(once.sum())
    assert rows[1]["actual"] == pytest.approx(history.holdout_purchases[once].mean())
    assert rows[1]["predicted"] == pytest.approx(predicted[once].mean())


def test_a_fit_that_does_not_converge_raises_and_stores_nothing(buyers, monkeypatch):
    monkeypatch.setattr(btyd, "minimize", stuck_optimiser)

    with pytest.raises(btyd.FitError, match="The BG/NBD fit did not converge: Maximum number of iterations"):
        clv_fit_run(calibration_end=CALIBRATION_END)

    assert not ClvRun.objects.exists() and not ClvScore.objects.exists()


def test_a_fit_without_any_buyer_fails_with_a_clear_message():
    with pytest.raises(btyd.FitError, match="There are no customers to fit"):
        clv_fit_run(calibration_end=CALIBRATION_END)


def test_the_holdout_end_must_follow_the_calibration_end(buyers):
    with pytest.raises(ValueError, match="holdout end must come after"):
        clv_fit_run(calibration_end=CALIBRATION_END, holdout_end=CALIBRATION_END)


def test_only_the_latest_runs_keep_their_scores(buyers, settings):
    settings.CLV_KEEP_RUNS = 2
    first, second, third = (clv_fit_run(calibration_end=CALIBRATION_END) for _ in range(3))

    for run in (first, second, third):
        run.refresh_from_db()
    assert (first.scores_kept, second.scores_kept, third.scores_kept) == (False, True, True)
    assert not ClvScore.objects.filter(run=first).exists()
    assert first.summary and first.bgnbd_params  # the figures stay
    assert ClvScore.objects.filter(run=third).count() == len(buyers)
    assert clv_prune_runs(keep=0) == 2
    assert not ClvScore.objects.exists()


def test_binary_copy_writes_money_exactly():
    if connection.vendor != "postgresql":
        pytest.skip("binary COPY is PostgreSQL's")
    cents = np.array([0, 1, 99, 100, 10_050, 123_456_789, 9_999_999_999_999_999], dtype=np.int64)
    run = ClvRun.objects.create(calibration_end=date(2026, 1, 1), horizon=52, discount_rate=0.01)
    ones = np.ones(len(cents))
    column = {field.name: field.column for field in ClvScore._meta.concrete_fields}
    copy_rows_binary(
        ClvScore._meta.db_table,
        [
            (column["run"], "int8", np.full(len(cents), run.pk)),
            (column["customer"], "int8", np.arange(1, len(cents) + 1)),
            (column["frequency"], "int4", ones * 3),
            (column["recency"], "float8", ones * 1.5),
            (column["T"], "float8", ones * 2.25),
            (column["monetary_value"], "cents", cents),
            (column["p_alive"], "float8", ones / 3),
            (column["expected_purchases"], "float8", ones),
            (column["expected_average_value"], "cents", cents[::-1].copy()),
            (column["clv"], "cents", cents),
        ],
        chunk=3,
    )

    stored = ClvScore.objects.filter(run=run).order_by("customer_id")
    assert [score.clv for score in stored] == [Decimal(int(c)).scaleb(-2) for c in cents]
    assert [score.expected_average_value for score in stored] == [Decimal(int(c)).scaleb(-2) for c in cents[::-1]]
    first = stored[0]
    assert (first.frequency, first.recency, first.T, first.p_alive) == (3, 1.5, 2.25, pytest.approx(1 / 3))
