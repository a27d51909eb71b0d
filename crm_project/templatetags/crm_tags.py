from datetime import datetime

import django_tables2 as tables
from django import template
from django.utils import formats, timezone
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe

register = template.Library()


@register.simple_tag(takes_context=True)
def query_replace(context, **changes):
    """The current query string with some parameters replaced (for paging)."""
    query = context["request"].GET.copy()
    for key, value in changes.items():
        query[key] = value
    return query.urlencode()


@register.filter
def elided_pages(paginator, number):
    return paginator.get_elided_page_range(number, on_each_side=2, on_ends=1)


@register.filter
def duration_short(value) -> str:
    """A timedelta as "0.4 s", "12 s" or "3 min 5 s"."""
    if value is None:
        return ""
    seconds = value.total_seconds()
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s"


@register.simple_tag
def card_fields(table) -> list[str]:
    """The columns a table shows when its rows are cards (below md): the table's
    `card_fields`, or its first three columns other than a row checkbox. The
    first one is the card's title."""
    names = getattr(table, "card_fields", None)
    if names:
        return list(names)
    columns = [column.name for column in table.columns if not isinstance(column.column, tables.CheckBoxColumn)]
    return columns[:3]


@register.simple_tag
def table_rows(table, card: list[str]) -> str:
    """The body rows of the current page, built in Python: the per-cell template
    loop and django-tables2's per-cell signature inspection cost about a
    millisecond a row (issue 11). Each column's cell attributes, card role and
    render signature are worked out once, not per cell, so a column's `td` attrs
    must not depend on the row (none of ours do). The markup is what the template
    loop made: below md `data-card` turns each row into a card."""
    columns = []
    for column in table.columns:
        td = column.attrs.get("td", {})
        opening = format_html("<td {}{}>", td.as_html() if td else "", _card_role(column, card))
        columns.append((column, opening, _CellRenderer(column)))
    rows = []
    for row in table.paginated_rows:
        cells: list[str] = []
        for column, opening, renderer in columns:
            cells.append(opening)
            content = row._get_and_render_with(column, render_func=renderer.bind(row), default=column.default)
            cells.append(_cell_html(content, column.localize))
            cells.append(mark_safe("</td>"))  # noqa: S308 - a constant
        rows.append(format_html("<tr {}>{}</tr>", row.attrs.as_html(), mark_safe("".join(cells))))  # noqa: S308 - escaped above
    return mark_safe("\n".join(rows))  # noqa: S308 - every part escaped above


class _CellRenderer:
    """django-tables2's BoundRow._call_render, with the render method's signature
    read once per column instead of once per cell."""

    def __init__(self, column):
        self.render = column.render
        self.wanted, self.takes_all = tables.utils.signature(self.render)
        self.link = column.link

    def bind(self, row):
        def render(bound_column, value=None):
            arguments = row._optional_cell_arguments(bound_column, value)
            if self.takes_all:
                content = self.render(**arguments)
            elif all(name in arguments for name in self.wanted):
                content = self.render(**{name: arguments[name] for name in self.wanted})
            else:
                content = None
            return self.link(content, **arguments) if self.link else content

        return render


def _card_role(column, card: list[str]) -> str:
    if column.name not in card:
        return mark_safe(' data-card="hide"')  # noqa: S308 - a constant
    if column.name == card[0]:
        return mark_safe(' data-card="title"')  # noqa: S308 - a constant
    return format_html(' data-label="{}"', column.header)


def _cell_html(cell, localized) -> str:
    """As `{{ cell }}`, `{{ cell|localize }}` or `{{ cell|unlocalize }}` would render it."""
    if isinstance(cell, datetime) and timezone.is_aware(cell):
        cell = timezone.localtime(cell)
    if localized is None or localized:
        cell = formats.localize(cell, use_l10n=localized)
    elif not isinstance(cell, str):
        cell = str(cell)
    return conditional_escape(cell)
