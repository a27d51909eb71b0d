"""The order import reads local times the same way on every database, also on the days the clocks change
(PostgreSQL converts the plain rows itself; rows on such days keep the Python rules)."""

import io
from datetime import UTC, datetime

import pytest

from customers.tests.factories import CustomerFactory
from sales.models import Order
from sales.services.order_import import orders_import


@pytest.mark.parametrize(
    ("value", "expected_utc"),
    [
        ("2024-10-27T02:30", datetime(2024, 10, 27, 0, 30, tzinfo=UTC)),  # twice that night: the first (CEST)
        ("2024-03-31T02:30", datetime(2024, 3, 31, 1, 30, tzinfo=UTC)),  # never that night: read as CET
        ("2024-03-31", datetime(2024, 3, 30, 23, 0, tzinfo=UTC)),
        ("2024-03-30T23:59:59", datetime(2024, 3, 30, 22, 59, 59, tzinfo=UTC)),
        ("2024-02-29", datetime(2024, 2, 28, 23, 0, tzinfo=UTC)),
        ("2024-06-01T12:00:00+14:00", datetime(2024, 5, 31, 22, 0, tzinfo=UTC)),
    ],
)
def test_local_times_on_the_days_the_clocks_change_are_read_as_python_reads_them(db, settings, value, expected_utc):
    settings.TIME_ZONE = "Europe/Berlin"
    CustomerFactory(external_ref="C-1")
    data = f"customer_ref,ordered_at,total\nC-1,{value},1\n".encode()
    result = orders_import(source=io.BytesIO(data), filename="orders.csv", actor=None)
    assert result.bad_rows == 0
    assert Order.objects.get().ordered_at == expected_utc


@pytest.mark.parametrize("value", ["2023-02-29", "2024-04-31", "0000-01-01", "2024-01-01T24:00", "2024-01-01T10:60"])
def test_impossible_dates_are_row_errors_on_every_database(db, value):
    CustomerFactory(external_ref="C-1")
    data = f"customer_ref,ordered_at,total\nC-1,{value},1\n".encode()
    result = orders_import(source=io.BytesIO(data), filename="orders.csv", actor=None)
    assert [(error.row, error.column) for error in result.errors] == [(2, "ordered_at")]


def test_a_reference_that_reads_backslash_n_is_kept_as_written(db):
    CustomerFactory(external_ref="\\N")
    data = b"customer_ref,ordered_at,total,order_ref\n\\N,2024-05-01,1,\\N\n\\N,2024-05-02,1.001,x\n"
    result = orders_import(source=io.BytesIO(data), filename="orders.csv", actor=None, skip_errors=True)
    assert (result.created, result.bad_rows) == (1, 1)
    assert Order.objects.get().order_ref == "\\N"
