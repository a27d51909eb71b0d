"""The bench_orders command, at a small size."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from customers.models import Customer
from sales.models import Order


def test_the_bench_creates_its_customers_imports_and_reports_the_speed(db, capsys):
    call_command("bench_orders", rows=60, customers=10)
    out = capsys.readouterr().out
    assert "Customers: 10 created" in out and "Imported 60 rows" in out and "rows/s" in out and "peak memory" in out
    assert Customer.objects.filter(external_ref__startswith="BENCH-").count() == 10
    assert Order.objects.count() == 60
    call_command("bench_orders", rows=60, customers=10)  # half the rows carry an order_ref: upserted
    assert Order.objects.count() == 90
    call_command("bench_orders", rows=60, customers=10, fresh=True)
    assert Order.objects.count() == 60


def test_the_bench_refuses_to_run_where_demo_data_is_not_allowed(db, settings):
    settings.CRM_DEMO_DATA_ALLOWED = False
    with pytest.raises(CommandError):
        call_command("bench_orders", rows=10, customers=2)
