import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from crm_project.lists import BulkSelectColumn, ChoiceBadgeColumn, ShortDateColumn

from ..badges import LEAD_STATUS
from ..models import Lead


class LeadTable(tables.Table):
    # Below md each row is a card with these fields (the first is its title).
    card_fields = ("name", "company_name", "status")

    ids = BulkSelectColumn()
    name = tables.Column(verbose_name=_("Name"), accessor="last_name", order_by=("last_name", "first_name"))
    company_name = tables.Column(verbose_name=_("Company"))
    status = ChoiceBadgeColumn(LEAD_STATUS, verbose_name=_("Status"), order_by=("status",))
    owner = tables.Column(verbose_name=_("Owner"), order_by=("owner__first_name", "owner__last_name"))
    team = tables.Column(verbose_name=_("Team"), order_by=("team__name",))
    created_at = ShortDateColumn(verbose_name=_("Created"))

    class Meta:
        model = Lead
        fields = ("ids", "name", "company_name", "phone", "source", "status", "owner", "team", "created_at")
        order_by = ("-created_at",)
        attrs = {"class": "table table-hover align-middle mb-0", "id": "lead-table"}

    def render_name(self, record: Lead):
        # hx-boost="false": the list's boost swaps only #list-results, which a detail page does not have.
        return format_html(
            '<a href="{}" class="fw-semibold" hx-boost="false">{}</a>'
            '<div class="small text-body-secondary text-break">{}</div>',
            record.get_absolute_url(),
            record.full_name,
            record.email,
        )
