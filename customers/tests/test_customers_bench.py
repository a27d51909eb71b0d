"""The bench_customers command, at a small size: it measures the import beside its floor and cleans up."""

from django.core.management import call_command
from django.db import connection

from accounts import roles
from accounts.tests.factories import UserFactory
from customers.models import Company, Customer


def test_the_bench_times_the_import_beside_its_floor_and_leaves_nothing(db, capsys):
    UserFactory(role=roles.SALES_REP)
    call_command("bench_customers", customers=30, import_rows=40)
    out = capsys.readouterr().out
    assert "import 40 contacts (read, check, write)" in out and "40 created, 0 bad" in out
    if connection.vendor == "postgresql":
        assert "floor: COPY + one INSERT … SELECT" in out and "import / floor" in out
    assert not Customer.all_objects.exists() and not Company.all_objects.exists()
