"""The CLV benchmark command, at a tiny size: it generates its data, fits it and prints every figure."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from analytics.models import ClvRun, ClvScore
from customers.models import Customer

pytestmark = pytest.mark.django_db

FIGURES = [
    "generation",
    "customers fitted",
    "summary: one aggregate query, streamed",
    "BG/NBD fit",
    "Gamma-Gamma fit",
    "predictions",
    "scores written",
    "whole run",
    "peak memory inside the run",
    "BG/NBD parameters",
    "peak RSS",
]


def bench(**options) -> str:
    out = StringIO()
    call_command("bench_clv", customers=1000, orders=4000, stdout=out, **options)
    return out.getvalue()


def test_the_bench_generates_its_data_fits_it_and_prints_every_figure_with_the_load():
    output = bench()

    for figure in FIGURES:
        assert figure in output
    assert "(load " in output
    run = ClvRun.objects.get()
    assert Customer.objects.filter(external_ref__startswith="CLV-").count() == 1000
    assert ClvScore.objects.filter(run=run).count() == run.n_customers > 0


def test_a_second_bench_reuses_the_data_and_keeps_the_runs_it_times():
    bench()

    assert "skipped" in bench(repeat=2)
    assert ClvRun.objects.count() == 3 and ClvRun.objects.filter(scores_kept=True).count() == 3


@override_settings(CRM_DEMO_DATA_ALLOWED=False)
def test_the_bench_refuses_to_run_where_demo_data_is_not_allowed():
    with pytest.raises(CommandError):
        bench()


def test_the_bench_fits_its_own_customers_only_beside_bench_rfms_data():
    call_command("bench_rfm", customers=50, orders=400, stdout=StringIO())

    bench()

    run = ClvRun.objects.get()
    scored = Customer.objects.filter(pk__in=ClvScore.objects.filter(run=run).values("customer_id"))
    assert scored.count() == run.n_customers
    assert not scored.exclude(external_ref__startswith="CLV-").exists()
