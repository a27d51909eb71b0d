"""crm_project.helpers: the small shared helpers."""

import pytest
from django.db import connection

from crm_project.helpers import rows_for_ids
from customers.models import Customer
from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_rows_for_ids_reads_the_rows_of_exactly_those_ids_and_no_others():
    first, second, _other = CustomerFactory.create_batch(3)
    table, quote = Customer._meta.db_table, connection.ops.quote_name
    sql = f"SELECT {quote('id')} FROM {quote(table)} WHERE {quote('id')} IN ({{ids}}) ORDER BY {quote('id')}"  # noqa: S608
    assert rows_for_ids(sql, [second.pk, str(first.pk)], using="default") == [(first.pk,), (second.pk,)]


def test_rows_for_ids_runs_no_query_for_no_ids(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert rows_for_ids("SELECT 1 WHERE 1 IN ({ids})", [], using="default") == []
