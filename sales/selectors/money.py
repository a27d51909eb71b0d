"""Totals of money columns for the lists: per currency, since amounts in different
currencies do not add up, and only for sets small enough to add up cheaply."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import QuerySet, Sum

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
    rows = queryset.order_by().values("currency").annotate(total=Sum(field)).order_by("currency")
    return [MoneyTotal(row["currency"], (row["total"] or Decimal("0")).quantize(CENT)) for row in rows]
