"""The lifetime-value column analytics adds to the customer list (settings.CRM_CUSTOMER_LIST_COLUMNS).

The value is the customer's CLV in the latest kept run, read for the shown page's customers
only (one query by their ids); the filtered and sorted list query carries no join for it.
Sorting by it joins that run's scores (one LEFT JOIN on the scores' primary key) and
lists the customers that run scored, in CLV order: PostgreSQL then walks the (run, -clv)
index and stops after a page, instead of sorting every customer.
"""

from decimal import Decimal

import django_tables2 as tables
from django.db.models import F, FilteredRelation, Q, QuerySet, Subquery
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

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
        scored = annotate_clv(queryset).filter(clv__isnull=False)
        return scored.order_by("-clv" if is_descending else "clv"), True


def clv_values(customer_ids: list[int]) -> dict[int, Decimal]:
    """The shown customers' CLV in the latest kept run (none when no run is kept), by id."""
    scores = ClvScore.objects.filter(run_id=_latest_run_id(), customer_id__in=customer_ids)
    return dict(scores.values_list("customer_id", "clv"))


CLV_COLUMN = CustomerListColumn(name="clv", column=ClvColumn, annotate=annotate_clv, values=clv_values)
