"""Totals under a list's money columns, in the table's footer.

The view calls `add_totals` after paginating: it sets `table.totals`, one `MoneyTotal` per
currency, or `table.too_many_to_total` when the filtered set is too large to add up. A table
nobody added up shows no footer."""

from collections.abc import Callable, Sequence
from decimal import Decimal

import django_tables2 as tables
from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

from ..selectors.money import TOTALS_MAX_ROWS, MoneyTotal


class TotalsTable(tables.Table):
    """A table whose footer shows the totals of the whole filtered set, not just the page."""

    totals: Sequence[MoneyTotal] = ()
    too_many_to_total = False

    def has_footer(self):
        # An empty list has nothing to add up.
        return bool(self.totals or self.too_many_to_total) and super().has_footer()


def totals_label(table: TotalsTable) -> str:
    """The footer's first cell: what the figures beside it are."""
    if table.too_many_to_total:
        return _("No totals above %(count)s rows: narrow the list to see them.") % {
            "count": number_format(TOTALS_MAX_ROWS, force_grouping=True)
        }
    return _("Total of all pages")


def totals_cell(formatter: Callable[[Decimal, str], str]):
    """A footer for a money column: one line per currency, formatted as the column's cells are."""

    def footer(table: TotalsTable) -> str:
        if not table.totals:
            return ""
        lines = ((total.currency, formatter(total.amount, total.currency)) for total in table.totals)
        return format_html(
            '<span data-testid="list-totals">{}</span>',
            format_html_join("", '<span class="d-block text-nowrap" data-currency="{}">{}</span>', lines),
        )

    return footer


def add_totals(table: TotalsTable, totals: Callable[[], list[MoneyTotal]]) -> None:
    """Call after pagination, when the filtered set's size is known (the paginator's count,
    no extra query): add the set up when that is cheap, otherwise say why there are no totals."""
    paginator = getattr(table, "paginator", None)
    if paginator is not None and paginator.count > TOTALS_MAX_ROWS:
        table.too_many_to_total = True
    else:
        table.totals = totals()
