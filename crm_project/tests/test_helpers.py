"""crm_project.helpers: the small shared helpers."""

import pytest
from django.db import connection
from django.test import override_settings
from django.urls import reverse, set_script_prefix
from django.utils import translation

from crm_project.helpers import id_url, rows_for_ids
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


@pytest.mark.parametrize("viewname", ["customers:customer-detail", "sales:deal-detail", "sales:order-detail"])
def test_id_url_is_the_views_reversed_url_for_that_id(viewname):
    assert id_url(viewname, 7) == reverse(viewname, args=[7])
    assert id_url(viewname, "12") == reverse(viewname, args=[12])


def test_id_url_follows_the_script_prefix_and_the_urlconf_reverse_depends_on():
    plain = id_url("customers:customer-detail", 3)
    set_script_prefix("/crm/")
    try:
        assert id_url("customers:customer-detail", 3) == "/crm" + plain
    finally:
        set_script_prefix("/")
    with override_settings(ROOT_URLCONF="crm_project.management.commands.bench_lists"):
        assert id_url("customers:customer-detail", 3) == reverse("customers:customer-detail", args=[3])
    with translation.override("tr"):
        assert id_url("customers:customer-detail", 3) == plain


def test_id_url_takes_an_id_and_nothing_else():
    with pytest.raises(ValueError, match="invalid literal"):
        id_url("customers:customer-detail", "1/../admin")
