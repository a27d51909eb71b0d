"""Totals under a list's money columns, in the table's footer.

The view sets `table.totals` after paginating (see `list_totals`): a list of
`MoneyTotal`, one per currency, or None when the filtered set is too large to add up."""

from collections.abc import Callable
from decimal import Decimal

import django_tables2 as tables
from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

from ..selectors.money import TOTALS_MAX_ROWS, MoneyTotal


class TotalsTable(tables.Table):
    """A table whose footer shows the totals of the whole filtered set, not just the page."""

    totals: list[MoneyTotal] | None = None

    def has_footer(self):
        # An empty list has nothing to add up.
        return self.totals != [] and super().has_footer()


def totals_label(table: TotalsTable) -> str:
    """The footer's first cell: what the figures beside it are."""
    if table.totals is None:
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
    table.totals = totals() if paginator is None or paginator.count <= TOTALS_MAX_ROWS else None
