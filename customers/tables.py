from collections.abc import Callable
from datetime import date
from html import escape

import django_tables2 as tables
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.functional import cached_property
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from crm_project.lists import BulkSelectColumn, ShortDateColumn, shallow_copied_columns, url_template

from .models import Company, Customer
from .selectors.customers import customer_tag_badges as tag_badges

TAG_BADGE = '<span class="badge rounded-pill me-1" style="background-color: {}">{}</span>'


@shallow_copied_columns
class CustomerTable(tables.Table):
    # Below md each row is a card with these fields (the first is its title).
    card_fields = ("name", "company", "lifecycle_stage")
    # Its header cells and cells' attributes depend on this class, the sort and the language
    # only (no attrs nor verbose names given per table, none callable; the extra columns are
    # settings'): drawn once per process (crm_tags._fixed_cell).
    fixed_cells = True

    ids = BulkSelectColumn()
    # Plain cells (format_html), not TemplateColumns: a cell template runs every
    # context processor again, per row (issue 11: 80 ms of a list's render).
    name = tables.Column(verbose_name=_("Name"), accessor="last_name", order_by=("last_name", "first_name"))
    company = tables.Column(verbose_name=_("Company"), order_by=("company__name",))
    owner = tables.Column(verbose_name=_("Owner"), order_by=("owner__first_name", "owner__last_name"))
    tags = tables.Column(verbose_name=_("Tags"), accessor="pk", orderable=False)
    created_at = ShortDateColumn(verbose_name=_("Created"))

    # Of the rows a customer joins, the columns its cells show (FilteredTableView.get_table_data).
    related_columns = {"company": ("name",), "owner": ("first_name", "last_name", "username")}

    class Meta:
        model = Customer
        fields = (
            "ids",
            "name",
            "email",
            "phone",
            "company",
            "lifecycle_stage",
            "country",
            "owner",
            "tags",
            "created_at",
        )
        order_by = ("name",)
        attrs = {"class": "table table-hover align-middle mb-0", "id": "customer-table"}

    @cached_property
    def customer_url(self):
        return url_template("customers:customer-detail")

    @cached_property
    def company_url(self):
        return url_template("customers:company-detail")

    def render_name(self, record: Customer):
        """Compact: the name, and one secondary line (the email, else the job title)."""
        url = self.customer_url(record.pk)
        secondary = record.email or record.job_title
        if not secondary:
            return format_html('<a href="{}" class="fw-semibold text-nowrap">{}</a>', url, record.full_name)
        return format_html(
            '<a href="{}" class="fw-semibold text-nowrap">{}</a>'
            '<div class="small text-body-secondary text-truncate" style="max-width: 18rem">{}</div>',
            url,
            record.full_name,
            secondary,
        )

    def render_company(self, value: Company):
        return format_html('<a href="{}">{}</a>', self.company_url(value.pk), value)

    @cached_property
    def page_tags(self) -> dict[int, list[tuple[str, str]]]:
        """Every shown customer's tags (color, name), by name: one query of two columns for the
        page, no Tag objects nor prefetch machinery (about 1 ms of a drawn list, issue 11)."""
        page = getattr(self, "page", None)
        rows = page.object_list if page is not None else self.rows
        return tag_badges(customer_ids=[row.record.pk for row in rows])

    def badges(self, record: Customer) -> list[tuple[str, str]]:
        """The record's tags (color, name): those the queryset prefetched as they are (`record.tags`
        builds a related manager per row), else the page's."""
        tags = getattr(record, "_prefetched_objects_cache", {}).get("tags")
        return [(tag.color, tag.name) for tag in tags] if tags is not None else self.page_tags.get(record.pk, [])

    def render_tags(self, record: Customer):
        return format_html_join("", TAG_BADGE, self.badges(record))

    def cell_renderers(self) -> dict[str, Callable[[Customer], str]]:
        """The cells of this table's own columns, drawn straight from the record (crm_tags.table_rows):
        the same HTML as django-tables2's per-cell path (an accessor, an empty-value check, the render
        method's signature, localize and escape: about 10 µs a cell, 275 cells a page, issue 11),
        with what does not depend on the row (defaults, choice labels) worked out once per page.
        Only the shown columns are drawn; those it does not know (another app's, e.g. the lifetime
        value) go through the generic path. crm_project/tests/test_customer_table_cells.py compares
        the page both ways."""
        renderers: dict[str, Callable[[Customer], str]] = {}
        for bound in self.columns:
            if bound.localize is not None or (bound.link and not _plain_email(bound.column)):
                continue  # not how these columns are declared: the generic path handles it
            renderer = self._cell_renderer(bound.name, bound, str(conditional_escape(bound.default)))
            if renderer is not None:
                renderers[bound.name] = renderer
        return renderers

    def _cell_renderer(self, name: str, bound, empty: str) -> Callable[[Customer], str] | None:
        # Cells whose value is "" or None show the column's default (`empty`), as django-tables2's do.
        # The values are the model's plain strings: html.escape gives what format_html's
        # conditional_escape would, without Django's lazy-string wrapper (issue 11).
        if name in ("phone", "country"):
            return lambda record: escape(value) if (value := getattr(record, name)) else empty
        if name == "owner":
            return lambda record: escape(str(owner)) if (owner := record.owner) is not None else empty
        if name == "tags":
            return self._tags_cell
        method = getattr(self, f"_{name}_cells", None)
        return method(bound, empty) if method is not None else None

    def _ids_cells(self, bound, empty: str) -> Callable[[Customer], str] | None:
        """BulkSelectColumn.render's checkbox: for a column whose input attributes do not depend on
        the row, its HTML around the id is drawn once, the way url_template builds URLs."""
        column = bound.column
        if not isinstance(column, BulkSelectColumn) or column.checked is not None:
            return None
        if any(callable(value) for value in column._input_attrs().values()):
            return None
        marker = "9876543210"
        head, tail = str(column.render(int(marker), bound, None)).split(marker)
        return lambda record: f"{head}{int(record.pk)}{tail}"

    def _name_cells(self, bound, empty: str) -> Callable[[Customer], str]:
        """render_name's HTML."""
        url = self.customer_url
        link = '<a href="{}" class="fw-semibold text-nowrap">{}</a>'
        second = '<div class="small text-body-secondary text-truncate" style="max-width: 18rem">{}</div>'

        def name(record: Customer) -> str:
            if not record.last_name:
                return empty
            html = link.format(escape(url(record.pk)), escape(record.full_name))
            secondary = record.email or record.job_title
            return html + second.format(escape(secondary)) if secondary else html

        return name

    def _email_cells(self, bound, empty: str) -> Callable[[Customer], str] | None:
        """EmailColumn's link (its LinkTransform): the address, linked to itself."""
        if not _plain_email(bound.column):
            return None
        return lambda record: (
            f'<a href="mailto:{(text := escape(email))}">{text}</a>' if (email := record.email) else empty
        )

    def _company_cells(self, bound, empty: str) -> Callable[[Customer], str]:
        """render_company's HTML."""
        url = self.company_url

        def company(record: Customer) -> str:
            value = record.company
            return empty if value is None else f'<a href="{escape(url(value.pk))}">{escape(str(value))}</a>'

        return company

    def _lifecycle_stage_cells(self, bound, empty: str) -> Callable[[Customer], str]:
        """get_lifecycle_stage_display's labels, read once for the page's language."""
        labels = {value: force_str(label) for value, label in Customer._meta.get_field("lifecycle_stage").flatchoices}

        def stage(record: Customer) -> str:
            label = labels.get(record.lifecycle_stage, record.lifecycle_stage)
            return escape(label) if label else empty

        return stage

    def _tags_cell(self, record: Customer) -> str:
        """render_tags's HTML."""
        return "".join([TAG_BADGE.format(escape(color), escape(name)) for color, name in self.badges(record)])

    def _created_at_cells(self, bound, empty: str) -> Callable[[Customer], str] | None:
        """ShortDateColumn.render's text, once per local day on the page (its dates only)."""
        column = bound.column
        if not isinstance(column, ShortDateColumn) or column.format not in column.DATE_ONLY:
            return None
        days: dict[date, str] = {}
        zone = timezone.get_current_timezone()  # once: timezone.localtime looks it up for every call

        def created(record: Customer) -> str:
            value = record.created_at
            if not value:
                return empty
            day = value.astimezone(zone).date() if timezone.is_aware(value) else value.date()
            text = days.get(day)
            if text is None:
                text = days[day] = escape(column.render(value))
            return text

        return created


def _plain_email(column: tables.Column) -> bool:
    """django-tables2's EmailColumn as the model's EmailField gets it: no text of its own, no link attributes."""
    return type(column) is tables.EmailColumn and column.text is None and not column.attrs.get("a")


class CompanyTable(tables.Table):
    # Below md each row is a card with these fields (the first is its title).
    card_fields = ("name", "industry", "people_count")

    name = tables.Column(verbose_name=_("Name"), linkify=True)
    people_count = tables.Column(verbose_name=_("People"))
    owner = tables.Column(verbose_name=_("Owner"), order_by=("owner__first_name", "owner__last_name"))

    class Meta:
        model = Company
        fields = ("name", "domain", "industry", "size", "country", "people_count", "owner")
        order_by = ("name",)
