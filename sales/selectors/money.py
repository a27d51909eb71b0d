"""Totals of money columns for the lists: per currency, since amounts in different
currencies do not add up, and only for sets small enough to add up cheaply."""

from dataclasses import dataclass
from decimal import Decimal

from django.db import connections
from django.db.models import QuerySet, Sum

from crm_project.lists import scope_branches

CENT = Decimal("0.01")
# Above this many rows a list shows no totals: the sum would cost as much as the
# page itself at a million rows, so the user narrows the list first.
TOTALS_MAX_ROWS = 10_000


@dataclass(frozen=True)
class MoneyTotal:
    currency: str
    amount: Decimal


def currency_totals(queryset: QuerySet, *, field: str) -> list[MoneyTotal]:
    """One aggregate query: the sum of `field` per currency, currencies in alphabetical order."""
    rows = _branches_totals(queryset, field)
    if rows is None:
        rows = list(queryset.order_by().values_list("currency").annotate(total=Sum(field)).order_by("currency"))
    return [MoneyTotal(currency, (total or Decimal("0")).quantize(CENT)) for currency, total in rows]


def _branches_totals(queryset: QuerySet, field: str) -> list[tuple[str, Decimal]] | None:
    """On PostgreSQL, a scope of several branches whose indexes hold the currency and the amount
    (Order's): the sum over the UNION of the branches, each read from its index alone (a row in
    two branches counted once). As one `owner = me OR team IN (…)` the rows' pages were read:
    9 ms for a manager's 3,400 orders spread over the table, against 3 ms. None otherwise."""
    if not getattr(queryset, "scope_branch_indexes", False) or connections[queryset.db].vendor != "postgresql":
        return None
    branches = scope_branches(queryset)
    if branches is None:
        return None
    parts = [branch.order_by().values_list("pk", "currency", field) for branch in branches]
    union, params = parts[0].union(*parts[1:]).query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(f"SELECT u.c, SUM(u.t) FROM ({union}) AS u(pk, c, t) GROUP BY 1 ORDER BY 1", params)  # noqa: S608 - the ORM's SQL
        return cursor.fetchall()
