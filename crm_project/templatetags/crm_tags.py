import itertools
from collections.abc import Callable
from datetime import datetime
from functools import partial, partialmethod
from html import escape

import django_tables2 as tables
from django import template
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.template.defaulttags import CsrfTokenNode
from django.urls import get_script_prefix, reverse
from django.utils import formats, timezone, translation
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable
from django.utils.html import conditional_escape, format_html
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django_tables2.columns.linkcolumn import BaseLinkColumn
from django_tables2.utils import A

from crm_project.form_renderer import bootstrap_field_html
from crm_project.fragments import cache_model_choices, cached_fragment

register = template.Library()


@register.tag
def cachedfragment(parser, token):
    """`{% cachedfragment "name" value … %}…{% endcachedfragment %}`: the block's HTML,
    kept per user, language and time zone and the values named, while no watched
    model has changed (crm_project.fragments.cached_fragment). Name every value the
    block shows besides watched rows and the user (the path, a query string…)."""
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError(f"{bits[0]} needs a name.")
    nodelist = parser.parse(("endcachedfragment",))
    parser.delete_first_token()
    vary_on = [parser.compile_filter(bit) for bit in bits[2:]]
    return CachedFragmentNode(nodelist, parser.compile_filter(bits[1]), vary_on)


class CachedFragmentNode(template.Node):
    def __init__(self, nodelist, name, vary_on):
        self.nodelist = nodelist
        self.name = name
        self.vary_on = vary_on

    def render(self, context):
        request = context.get("request")
        user = getattr(request, "user", None)
        described = (
            "fragment",
            str(self.name.resolve(context)),
            getattr(user, "pk", None),
            translation.get_language(),
            timezone.get_current_timezone_name(),
            *(str(value.resolve(context)) for value in self.vary_on),
        )
        return cached_fragment(
            described,
            lambda: self.nodelist.render(context),
            csrf_token=lambda: str(context.get("csrf_token") or ""),
        )


@register.tag
def listcontent(parser, token):
    """`{% listcontent %}…{% endlistcontent %}`: a list page's content, from the cache when the
    view found it there (`list_content`, crm_project.lists.CachedContentMixin), else drawn and
    kept with what the view read. Without `list_content` in the context it is just drawn."""
    nodelist = parser.parse(("endlistcontent",))
    parser.delete_first_token()
    return ListContentNode(nodelist)


class ListContentNode(template.Node):
    def __init__(self, nodelist):
        self.nodelist = nodelist

    def render(self, context):
        fragment = context.get("list_content")
        if fragment is None:
            return self.nodelist.render(context)
        if fragment.html is not None:
            return fragment.html
        with fragment.recording():
            html = self.nodelist.render(context)
        fragment.keep(html, csrf_token=str(context.get("csrf_token") or ""))
        return html


@register.filter
def as_bootstrap_field(field) -> str:
    """`{{ field|as_crispy_field }}`, written in Python for plain fields (the filter bars', the
    RFM report's): crispy's field template costs about 0.3 ms a field."""
    from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field

    html = bootstrap_field_html(field)
    return html if html is not None else as_crispy_field(field)


@register.simple_tag(takes_context=True)
def render_list_table(context, table) -> str:
    """django-tables2's `{% render_table table %}`, drawn inside the page's context: its
    own renders the table's template as a new page (`render(context, request)`), which
    runs every context processor (the side navigation's among them) a second time."""
    template = context.template.engine.get_template(table.template_name)
    request = context.get("request")
    table.context = context  # as render_table does: TemplateColumn draws its cells in it
    try:
        table.before_render(request)
        with context.push(table=table):
            return template.render(context)
    finally:
        del table.context


@register.filter
def with_cached_menus(form):
    """The form, its model menus given their options from the cache (crm_project.fragments):
    called where the form is drawn, so that a cached fragment spares even that."""
    return cache_model_choices(form)


@register.simple_tag(takes_context=True)
def query_replace(context, **changes):
    """The current query string with some parameters replaced (for paging)."""
    query = context["request"].GET.copy()
    for key, value in changes.items():
        query[key] = value
    return query.urlencode()


@register.simple_tag(takes_context=True)
def list_pagination(context, page) -> str:
    """partials/pagination.html for a list's table, built in Python: the same HTML, about
    half a millisecond less per list (its template runs a tag per page link)."""
    paginator = page.paginator
    if paginator.num_pages <= 1:
        return ""
    query = context["request"].GET

    def href(number) -> str:
        changed = query.copy()
        changed["page"] = number
        return escape("?" + changed.urlencode())

    previous, following = escape(translation.gettext("Previous")), escape(translation.gettext("Next"))
    nav_class = "d-flex align-items-center justify-content-between flex-wrap gap-2 mt-3"
    parts = [
        f'<nav aria-label="{escape(translation.gettext("Pages"))}" class="{nav_class}">\n',
        '  <span class="text-body-secondary small">',
    ]
    if len(page):
        total = getattr(paginator, "count_label", None) or paginator.count
        shown = translation.gettext("%(start)s–%(end)s of %(total)s") % {
            "start": _number(page.start_index()),
            "end": _number(page.end_index()),
            "total": escape(str(formats.localize(total))),
        }
        parts.append(f"\n    {shown}\n  ")
    parts.append('</span>\n  <ul class="pagination pagination-sm mb-0">\n')
    parts.append(_step(previous, href(page.previous_page_number()) if page.has_previous() else None, "prev"))
    for number in paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1):
        if not isinstance(number, int):
            parts.append('<li class="page-item disabled"><span class="page-link">…</span></li>\n')
        elif number == page.number:
            current = f'<span class="page-link">{_number(number)}</span>'
            parts.append(f'<li class="page-item active" aria-current="page">{current}</li>\n')
        else:
            link = f'<a class="page-link" href="{href(number)}">{_number(number)}</a>'
            parts.append(f'<li class="page-item">{link}</li>\n')
    parts.append(_step(following, href(page.next_page_number()) if page.has_next() else None, "next"))
    parts.append("  </ul>\n</nav>\n")
    return mark_safe("".join(parts))  # noqa: S308 - every value escaped above


def _step(label: str, url: str | None, rel: str) -> str:
    """The "Previous" or "Next" item: a link, or a disabled label on the first or last page."""
    if url is None:
        return f'    <li class="page-item disabled"><span class="page-link">{label}</span></li>\n'
    return f'    <li class="page-item"><a class="page-link" href="{url}" rel="{rel}">{label}</a></li>\n'


def _number(value) -> str:
    """A number as `{{ value }}` shows it (localized)."""
    return escape(str(formats.localize(value)))


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


@register.simple_tag(takes_context=True)
def table_head(context, table, card: list[str]) -> str:
    """The header cells, as partials/table.html's loop wrote them (django-tables2's
    `querystring_replace` per sortable column), built in Python: below md the
    header row is the cards' "Sort by" links, only the sortable card fields."""
    query = dict(context["request"].GET)
    cells = []
    for column in table.columns:
        hide = ' data-card="hide"' if column.name not in card or not column.orderable else ""
        opening = _fixed_cell(table, column, "th", _th_opening, *_sort(column))
        header = _fixed_cell(table, column, "header", _header)
        if column.orderable:
            sorted_query = {**query, table.prefixed_order_by_field: column.order_by_alias.next}
            href = escape("?" + urlencode(sorted_query, doseq=True))
            header = f'<a href="{href}">{header}</a>'
        cells.append(f'{opening} scope="col"{hide}>{header}</th>')
    return mark_safe("".join(cells))  # noqa: S308 - every part escaped above


# Header cells and cells' opening tags of tables that declare `fixed_cells = True`: kept per
# process by table class, column, the part, the language and what else the part shows (a
# header cell's classes: the sort; a cell's: its role in the phone's cards). django-tables2
# works out a column's attributes and header (translated labels, a checkbox drawn for the
# header) anew for every table: about half a millisecond of a freshly drawn customer list
# (issue 11). A few entries per column; the bound only guards a mistake.
_fixed_cells: dict[tuple, str] = {}
FIXED_CELLS_MAX = 4096


def _fixed_cell(table, column, part: str, draw: Callable[..., str], *more) -> str:
    """`draw(column, *more)`, kept for the table's class when it declares `fixed_cells = True`:
    its promise that these parts depend on nothing else (no attributes or verbose names given
    per table, no callable attributes, no column of another definition under the same name)."""
    if not getattr(table, "fixed_cells", False):
        return draw(column, *more)
    key = (type(table), column.name, type(column.column), part, translation.get_language(), *more)
    html = _fixed_cells.get(key)
    if html is None:
        if len(_fixed_cells) >= FIXED_CELLS_MAX:
            _fixed_cells.clear()
        html = _fixed_cells[key] = draw(column, *more)
    return html


def _th_opening(column, *sort) -> str:
    """`<th` and the header cell's attributes (their classes say how the list is sorted: `sort`)."""
    return f"<th {column.attrs['th'].as_html()}"


def _header(column) -> str:
    return str(conditional_escape(column.header))


@register.simple_tag
def table_rows(table, card: list[str]) -> str:
    """The body rows of the current page, built in Python: the per-cell template
    loop and django-tables2's per-cell work (an Accessor and a model field lookup
    per cell, the render method's signature, the row's attributes) cost about a
    millisecond a row (issue 11). Each column's cell attributes, card role, value
    lookup and render signature are worked out once, not per cell, so a column's
    `td` attrs must not depend on the row (none of ours do). Cells hold what
    django-tables2's own loop would put there (tests/test_table_rows.py compares
    them); below md `data-card` turns each row into a card. A table may draw some
    columns' cells itself (`cell_renderers()`: column name -> the cell's HTML for a
    record), skipping even that per-cell work; its cells must be the same HTML."""
    renderers = table.cell_renderers() if hasattr(table, "cell_renderers") else {}
    cells = [_Cell(column, _td_opening(table, column, card), renderers.get(column.name)) for column in table.columns]
    row_attrs = _RowAttrs(table)
    # Each BoundRow takes its even/odd from the table's counter; anything that went over the
    # rows before (the page's tags and lifetime values) moved it on. Table.as_html resets it too.
    table._counter = itertools.count()
    rows = []
    for row in table.paginated_rows:
        html = "".join([cell.html(row) for cell in cells])
        rows.append(f"<tr {row_attrs.html(row)}>{html}</tr>")
    return mark_safe("\n".join(rows))  # noqa: S308 - every part escaped in _Cell and _RowAttrs


class _Cell:
    """One column's cells: BoundRow._get_and_render_with and _call_render, with
    everything that does not depend on the row looked up once."""

    def __init__(self, column, opening: str, renderer: Callable[[models.Model], str] | None = None):
        self.opening = opening
        self.renderer = renderer
        self.bound = column
        self.column = column.column
        self.accessor = A(column.accessor)
        path, _separator, self.remainder = self.accessor.rpartition(self.accessor.SEPARATOR)
        self.path = A(path) if path else None
        self.render = column.render
        self.wanted, self.takes_all = _signature(self.render)
        # Column.render returns the value as it is: no arguments to gather, nothing to call.
        self.as_is = getattr(self.render, "__func__", None) is tables.Column.render and not column.link
        self.link = _Link(column.link, column.name) if column.link else None
        self.localize = column.localize
        self.empty_values = self.column.empty_values
        self.many_to_many = isinstance(self.column, tables.ManyToManyColumn)
        self.text_link = isinstance(self.column, BaseLinkColumn) and self.column.text is not None
        self.displays: dict[tuple[type, type], Callable | None] = {}

    def html(self, row) -> str:
        if self.renderer is not None:
            return f"{self.opening}{self.renderer(row.record)}</td>"
        return f"{self.opening}{_cell_html(self.content(row), self.localize)}</td>"

    def content(self, row):
        record = row.record
        value = None
        remainder = self.remainder
        penultimate = record if self.path is None else self.path.resolve(record, quiet=True)
        if isinstance(penultimate, models.Model):
            display = self._display(record, penultimate)
            if display is not None:
                value = display(penultimate)
                remainder = None
        if remainder:
            try:
                value = self._resolve(record)
            except Exception:
                if self.text_link:  # django-tables2: a link column with its own text needs no value
                    return self._rendered(row, None)
        if value in self.empty_values or (self.many_to_many and not value.exists()):  # type: ignore[union-attr]
            return self.bound.default
        return self._rendered(row, value)

    def _resolve(self, record):
        """Accessor.resolve; an attribute of the record itself (most columns) read directly."""
        if self.path is None and isinstance(record, models.Model):
            value = getattr(record, self.remainder, _MISSING)
            if value is not _MISSING and not callable(value):
                return value
        return self.accessor.resolve(record)

    def _display(self, record, penultimate) -> Callable | None:
        """`get_<field>_display` when the accessor ends on a field with choices (django-tables2
        issue 30). Django's own reads every label through the catalogue for each cell; the
        labels are read once here, for the page's language, and looked up the same way."""
        key = (type(record), type(penultimate))
        if key not in self.displays:
            self.displays[key] = self._display_for(record, penultimate)
        return self.displays[key]

    def _display_for(self, record, penultimate) -> Callable | None:
        name = f"get_{self.remainder}_display"
        try:
            field = self.accessor.get_field(record)
        except FieldDoesNotExist:
            field = None
        if not (getattr(field, "choices", ()) and hasattr(penultimate, name)):
            return None
        method = type(penultimate).__dict__.get(name)
        if not (isinstance(method, partialmethod) and method.func is models.Model._get_FIELD_display):  # type: ignore[attr-defined]
            return lambda instance: getattr(instance, name)()  # the model's own method
        attname = method.keywords["field"].attname
        labels = dict(make_hashable(method.keywords["field"].flatchoices))
        labels = {value: force_str(label, strings_only=True) for value, label in labels.items()}

        def display(instance):
            value = getattr(instance, attname)
            return labels.get(make_hashable(value), force_str(value, strings_only=True))

        return display

    def _rendered(self, row, value):
        if self.as_is:
            return value
        arguments = row._optional_cell_arguments(self.bound, value)
        content = _call(self.render, self.wanted, self.takes_all, arguments)
        return self.link(content, arguments) if self.link else content


_MISSING = object()
# Render functions' signatures (django-tables2 reads them with inspect for every column of
# every table): by function, bound or not. Bounded: a closure made per table would fill it.
_signatures: dict[tuple[Callable, bool], tuple[tuple[str, ...], str | None]] = {}


def _signature(function: Callable) -> tuple[tuple[str, ...], str | None]:
    key = (getattr(function, "__func__", function), hasattr(function, "__self__"))
    found = _signatures.get(key)
    if found is None:
        if len(_signatures) >= 1024:
            _signatures.clear()
        found = _signatures[key] = tables.utils.signature(function)
    return found


def _call(function, wanted: tuple[str, ...], takes_all: str | None, arguments: dict):
    """django-tables2's call_with_appropriate, with the signature read beforehand."""
    if takes_all:
        return function(**arguments)
    if all(name in arguments for name in wanted):
        return function(**{name: arguments[name] for name in wanted})
    return None


class _Link:
    """A column's LinkTransform (linkify): for a URL function, or `linkify=True` (the value's or
    else the record's get_absolute_url), with fixed attributes, the signature and attributes are
    read once, not per cell; anything else goes through the transform."""

    def __init__(self, link, name: str):
        self.link = link
        attrs = link.attrs or {}
        fixed = not any(callable(value) for value in attrs.values())
        self.by_method = fixed and link.url is None and not link.reverse_args
        self.fast = fixed and (callable(link.url) or self.by_method)
        if self.by_method:
            self.accessor = A(link.accessor if link.accessor is not None else name)
        elif self.fast:
            self.wanted, self.takes_all = _signature(link.url)
        if self.fast:
            shared = tables.utils.AttributeDict(attrs).as_html()
            self.opening = f"<a {shared} " if shared else "<a "

    def __call__(self, content, arguments: dict):
        if not self.fast:
            return self.link(content, **arguments)
        url = self._absolute_url(arguments["record"]) if self.by_method else self._called_url(arguments)
        if url is None:
            return content
        return format_html('{}href="{}">{}</a>', mark_safe(self.opening), url, content)  # noqa: S308 - as_html escaped it

    def _called_url(self, arguments: dict):
        return _call(self.link.url, self.wanted, self.takes_all, arguments)

    def _absolute_url(self, record):
        """LinkTransform.compose_url for linkify=True."""
        target = self.accessor.resolve(record, quiet=True)
        if not hasattr(target, "get_absolute_url"):
            target = record
        return target.get_absolute_url()


class _RowAttrs:
    """BoundRow.attrs: the table's row_attrs (computed per row only when one is callable) and even/odd."""

    def __init__(self, table):
        self.table = table
        self.dynamic = any(callable(value) for value in table.row_attrs.values())
        self.fixed = {} if self.dynamic else {parity: self._html(None, parity) for parity in ("odd", "even")}

    def html(self, row) -> str:
        parity = row.get_even_odd_css_class()
        return self._html(row.record, parity) if self.dynamic else self.fixed[parity]

    def _html(self, record, parity: str) -> str:
        attrs = tables.utils.computed_values(self.table.row_attrs, kwargs={"table": self.table, "record": record})
        attrs["class"] = f"{attrs['class']} {parity}" if attrs.get("class") else parity
        return str(tables.utils.AttributeDict(attrs).as_html())


def _sort(column) -> tuple[bool, str]:
    """What a header cell's classes say of the sort (BoundColumn.get_th_class)."""
    if not column.is_ordered:
        return column.orderable, ""
    return column.orderable, "desc" if column.order_by_alias.is_descending else "asc"


def _td_opening(table, column, card: list[str]) -> str:
    """A column's `<td …>`: its attributes and its role in the phone's cards."""
    place = "hide" if column.name not in card else "title" if column.name == card[0] else "label"
    return _fixed_cell(table, column, "td", partial(_td_html, card=card), place)


def _td_html(column, place: str, *, card: list[str]) -> str:
    """`<td …>` (`place`: the column's role in the cards, which `card` decides)."""
    td = column.attrs.get("td", {})
    return str(format_html("<td {}{}>", td.as_html() if td else "", _card_role(column, card)))


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
    # conditional_escape without django.utils.html.escape's lazy-string wrapper (a third of the cells' time)
    return cell.__html__() if hasattr(cell, "__html__") else escape(str(cell))


@register.simple_tag(takes_context=True)
def language_form(context, *, form_id: str, select_id: str, show_label: bool = False) -> str:
    """The language switcher (partials/language_form.html's HTML until issue 11), built in Python:
    a page draws it twice (the top bar at md and up, the phone's menu) and its template cost
    about 0.2 ms each. Its options are written once per language and process.
    crm_project/tests/test_language_form.py compares it with the template it replaced."""
    user = context.get("user")
    action = _url("language-choose" if getattr(user, "is_authenticated", False) else "set_language")
    label_class = "form-label mb-0 text-nowrap" if show_label else "visually-hidden"
    button_class = "btn-outline-secondary" if show_label else "btn-outline-light"
    form_id, select_id = escape(str(form_id)), escape(str(select_id))
    return mark_safe(  # noqa: S308 - every value escaped here or in _language_options
        f'\n\n<form action="{escape(action)}" method="post" class="d-flex align-items-center gap-2" id="{form_id}">\n'
        f"  {CsrfTokenNode().render(context)}\n"
        f'  <input name="next" type="hidden" value="{escape(_full_path(context))}">\n'
        f'  <label class="{label_class}" for="{select_id}">{escape(translation.gettext("Language"))}</label>\n'
        f'  <select id="{select_id}" name="language" class="form-select form-select-sm"'
        ' onchange="this.form.submit()">\n'
        f"    \n    {_language_options()}\n"
        "  </select>\n"
        f'  <noscript><button class="btn btn-sm {button_class}" type="submit">'
        f"{escape(translation.gettext('Go'))}</button></noscript>\n"
        "</form>\n"
    )


# The switcher's <option>s by active language, and its two URLs by script prefix: a handful of entries.
_options_by_language: dict[str | None, str] = {}
_urls: dict[tuple[str, str], str] = {}


def _language_options() -> str:
    language = translation.get_language()
    options = _options_by_language.get(language)
    if options is None:
        parts = []
        for code, _name in settings.LANGUAGES:
            info = translation.get_language_info(code)
            selected = " selected" if info["code"] == language else ""
            parts.append(
                f'\n    <option value="{escape(info["code"])}"{selected}>{escape(info["name_local"])}</option>\n    '
            )
        options = _options_by_language[language] = "".join(parts)
    return options


def _url(name: str) -> str:
    key = (name, get_script_prefix())
    url = _urls.get(key)
    if url is None:
        url = _urls[key] = reverse(name)
    return url


def _full_path(context) -> str:
    request = context.get("request")
    return request.get_full_path() if request is not None else ""
