"""The lifetime-value column analytics adds to the customer list (settings.CRM_CUSTOMER_LIST_COLUMNS).

The value is the customer's CLV in the latest kept run, read through a join on that run's
scores (one LEFT JOIN on the scores' primary key, not a subquery per row). Sorting by it
lists the customers that run scored, in CLV order: PostgreSQL then walks the (run, -clv)
index and stops after a page, instead of sorting every customer.
"""

import django_tables2 as tables
from django.db.models import F, FilteredRelation, Q, QuerySet, Subquery
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from customers.models import Customer
from customers.registry import CustomerListColumn

from .models import ClvRun


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
        scored = queryset.filter(clv__isnull=False)
        return scored.order_by("-clv" if is_descending else "clv"), True


CLV_COLUMN = CustomerListColumn(name="clv", column=ClvColumn, annotate=annotate_clv)
