import django_tables2 as tables
from django import template

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
