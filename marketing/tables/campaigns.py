"""The email template and campaign lists (the shared list frame: crm_project.lists)."""

import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from crm_project.lists import ShortDateColumn, url_template

from ..models import Campaign, EmailTemplate

# One badge colour per status, so a glance down the list finds what is going out.
STATUS_BADGES = {
    Campaign.Status.DRAFT: "text-bg-secondary",
    Campaign.Status.SCHEDULED: "text-bg-info",
    Campaign.Status.SENDING: "text-bg-primary",
    Campaign.Status.PAUSED: "text-bg-warning",
    Campaign.Status.SENT: "text-bg-success",
}


class TemplateTable(tables.Table):
    # Below md each row is a card with these fields (the first is its title).
    card_fields = ("name", "subject", "updated_at")

    name = tables.Column(verbose_name=_("Name"), order_by=("name", "pk"))
    subject = tables.Column(verbose_name=_("Subject"))
    updated_at = ShortDateColumn(verbose_name=_("Updated"), format="SHORT_DATETIME_FORMAT")
    created_by = tables.Column(verbose_name=_("Created by"), order_by=("created_by__username",))

    class Meta:
        model = EmailTemplate
        fields = ("name", "subject", "updated_at", "created_by")
        order_by = ("name",)
        attrs = {"class": "table table-hover align-middle mb-0", "id": "template-table"}
        row_attrs = {"data-testid": "template-row"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._edit_url = url_template("marketing:template-edit")

    def render_name(self, value, record):
        return format_html('<a href="{}">{}</a>', self._edit_url(record.pk), value)


class CampaignTable(tables.Table):
    card_fields = ("name", "status", "scheduled_at")

    name = tables.Column(verbose_name=_("Name"), order_by=("name", "pk"))
    template = tables.Column(verbose_name=_("Template"), order_by=("template__name",))
    status = tables.Column(verbose_name=_("Status"))
    scheduled_at = ShortDateColumn(verbose_name=_("Send at"), format="SHORT_DATETIME_FORMAT")
    started_at = ShortDateColumn(verbose_name=_("Started"), format="SHORT_DATETIME_FORMAT")
    created_at = ShortDateColumn(verbose_name=_("Created"))

    class Meta:
        model = Campaign
        fields = ("name", "template", "status", "scheduled_at", "started_at", "created_at")
        order_by = ("-created_at",)
        attrs = {"class": "table table-hover align-middle mb-0", "id": "campaign-table"}
        row_attrs = {"data-testid": "campaign-row"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._detail_url = url_template("marketing:campaign-detail")

    def render_name(self, value, record):
        return format_html('<a href="{}">{}</a>', self._detail_url(record.pk), value)

    def render_status(self, value, record):
        badge = STATUS_BADGES.get(record.status, "text-bg-secondary")
        return format_html('<span class="badge {}">{}</span>', badge, value)
