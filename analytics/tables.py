"""The lifetime-value column analytics adds to the customer list (settings.CRM_CUSTOMER_LIST_COLUMNS).

The value is the customer's CLV in the latest kept run, read for the shown page's customers
only (one query by their ids); the filtered and sorted list query carries no join for it.
Sorting by it joins that run's scores (one LEFT JOIN on the scores' primary key) and
lists the customers that run scored, in CLV order: PostgreSQL then walks the (run, -clv)
index and stops after a page, instead of sorting every customer.
"""

from decimal import Decimal

import django_tables2 as tables
from django.db import connections
from django.db.models import F, FilteredRelation, Q, QuerySet, Subquery
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from crm_project.helpers import rows_for_ids
from customers.models import Customer
from customers.registry import CustomerListColumn

from .models import ClvRun, ClvScore


def _latest_run_id() -> Subquery:
    kept = ClvRun.objects.filter(finished_at__isnull=False, scores_kept=True).order_by("-pk").values("pk")[:1]
    return Subquery(kept)


def annotate_clv(customers: QuerySet[Customer]) -> QuerySet[Customer]:
    latest = FilteredRelation("clv_scores", condition=Q(clv_scores__run_id=_latest_run_id()))
    return customers.alias(clv_latest=latest).annotate(clv=F("clv_latest__clv"))


class ClvColumn(tables.Column):
    def __init__(self):
        super().__init__(verbose_name=_("Lifetime value"), accessor="clv", attrs={"td": {"class": "text-end"}})

    def render(self, value):
        return number_format(value, decimal_pos=2, force_grouping=True)

    def order(self, queryset, is_descending):
        """Customers the latest run scored, by CLV (the others have none to sort by)."""
        # The list's query has no CLV (the page's values are read by id): it joins them here.
        annotated: QuerySet = annotate_clv(queryset)
        scored = annotated.filter(clv__isnull=False)
        return scored.order_by("-clv" if is_descending else "clv"), True


def clv_values(customer_ids: list[int]) -> dict[int, Decimal]:
    """The shown customers' CLV in the latest kept run (none when no run is kept), by id.

    Written in SQL, as the list's tag badges are: the ORM spent 0.7 ms of CPU building and
    compiling it on every freshly drawn list, the SQL 0.1 ms (issue 11). The names are
    quoted, as the fragment cache's recording reads them (crm_project.fragments.reading)."""
    using = ClvScore.objects.db
    quote = connections[using].ops.quote_name
    scores, runs = quote(ClvScore._meta.db_table), quote(ClvRun._meta.db_table)
    latest_run = (
        f"SELECT run.{quote('id')} FROM {runs} run"  # noqa: S608 - names, not values
        f" WHERE run.{quote('finished_at')} IS NOT NULL AND run.{quote('scores_kept')}"
        f" ORDER BY run.{quote('id')} DESC LIMIT 1"
    )
    sql = (
        f"SELECT score.{quote('customer_id')}, score.{quote('clv')} FROM {scores} score"  # noqa: S608 - names, not values
        f" WHERE score.{quote('run_id')} = ({latest_run}) AND score.{quote('customer_id')} IN ({{ids}})"
    )
    field = ClvScore._meta.get_field("clv")
    # SQLite hands back floats: a Decimal, as the ORM would give.
    rows = rows_for_ids(sql, customer_ids, using=using)
    return {pk: clv if isinstance(clv, Decimal) else field.to_python(clv) for pk, clv in rows}


CLV_COLUMN = CustomerListColumn(name="clv", column=ClvColumn, annotate=annotate_clv, values=clv_values)
