import django_tables2 as tables
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from crm_project.lists import BulkSelectColumn, ShortDateColumn, url_template

from .models import Company, Customer
from .selectors.customers import customer_tag_badges as tag_badges


class CustomerTable(tables.Table):
    # Below md each row is a card with these fields (the first is its title).
    card_fields = ("name", "company", "lifecycle_stage")

    ids = BulkSelectColumn()
    # Plain cells (format_html), not TemplateColumns: a cell template runs every
    # context processor again, per row (issue 11: 80 ms of a list's render).
    name = tables.Column(verbose_name=_("Name"), accessor="last_name", order_by=("last_name", "first_name"))
    company = tables.Column(verbose_name=_("Company"), order_by=("company__name",))
    owner = tables.Column(verbose_name=_("Owner"), order_by=("owner__first_name", "owner__last_name"))
    tags = tables.Column(verbose_name=_("Tags"), accessor="pk", orderable=False)
    created_at = ShortDateColumn(verbose_name=_("Created"))

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

    def render_tags(self, record: Customer):
        # Tags the queryset prefetched as they are: `record.tags` builds a related manager per row.
        tags = getattr(record, "_prefetched_objects_cache", {}).get("tags")
        badges = [(tag.color, tag.name) for tag in tags] if tags is not None else self.page_tags.get(record.pk, [])
        return format_html_join(
            "", '<span class="badge rounded-pill me-1" style="background-color: {}">{}</span>', badges
        )


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
