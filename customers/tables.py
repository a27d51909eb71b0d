import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from crm_project.lists import BulkSelectColumn

from .models import Company, Customer


class CustomerTable(tables.Table):
    # Below md each row is a card with these fields (the first is its title).
    card_fields = ("name", "company", "lifecycle_stage")

    ids = BulkSelectColumn()
    name = tables.TemplateColumn(
        template_name="customers/partials/customer_name_cell.html",
        verbose_name=_("Name"),
        order_by=("last_name", "first_name"),
    )
    company = tables.Column(verbose_name=_("Company"), linkify=True, order_by=("company__name",))
    owner = tables.Column(verbose_name=_("Owner"), order_by=("owner__first_name", "owner__last_name"))
    tags = tables.TemplateColumn(
        template_name="customers/partials/tags_cell.html", verbose_name=_("Tags"), orderable=False
    )
    created_at = tables.DateColumn(verbose_name=_("Created"), format="SHORT_DATE_FORMAT")

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
