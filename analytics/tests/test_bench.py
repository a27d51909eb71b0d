"""The RFM benchmark command, at a tiny size: it generates its data, scores it and prints every figure."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from analytics.models import RfmRun, RfmScore
from customers.models import Customer
from sales.models import Order

pytestmark = pytest.mark.django_db

FIGURES = [
    "generation",
    "(a) bare aggregate",
    "(b) full run",
    "ratio full run / bare aggregate",
    "N_scored",
    "(c) movement join",
    "(d) drill-down count",
    "prune one run's score rows",
    "peak RSS",
]


def bench(**options) -> str:
    out = StringIO()
    call_command("bench_rfm", customers=50, orders=400, stdout=out, **options)
    return out.getvalue()


def test_the_bench_generates_its_data_scores_it_and_prints_every_figure():
    output = bench()

    for figure in FIGURES:
        assert figure in output
    assert Customer.objects.filter(external_ref__startswith="RFM-").count() == 50
    assert Order.objects.filter(customer__external_ref__startswith="RFM-").count() == 400
    latest = RfmRun.objects.order_by("-pk").first()
    assert latest.n_scored > 0
    assert RfmScore.objects.filter(run=latest).count() == latest.n_scored


def test_a_second_bench_reuses_the_data_unless_asked_for_fresh_data():
    bench()
    first_ids = set(Customer.objects.filter(external_ref__startswith="RFM-").values_list("pk", flat=True))

    assert "skipped" in bench()
    assert set(Customer.objects.filter(external_ref__startswith="RFM-").values_list("pk", flat=True)) == first_ids

    bench(fresh=True)
    assert Customer.objects.filter(external_ref__startswith="RFM-").count() == 50
    assert not first_ids & set(Customer.objects.filter(external_ref__startswith="RFM-").values_list("pk", flat=True))


@override_settings(CRM_DEMO_DATA_ALLOWED=False)
def test_the_bench_refuses_to_run_where_demo_data_is_not_allowed():
    with pytest.raises(CommandError):
        bench()
