import django_tables2 as tables
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from crm_project.lists import ChoiceBadgeColumn, ShortDateColumn

from ..badges import DEAL_STATUS
from ..models import Deal
from ..templatetags.sales_tags import money
from .money import TotalsTable, totals_cell, totals_label


class MoneyColumn(tables.Column):
    """An amount in the row's own currency."""

    def render(self, value, record):
        return money(value, record.currency)


class DealTable(TotalsTable):
    # Below md each row is a card with these fields (the first is its title).
    card_fields = ("title", "customer", "stage", "amount")

    title = tables.Column(verbose_name=_("Title"), linkify=True, footer=totals_label)
    customer = tables.Column(
        verbose_name=_("Customer"), linkify=True, order_by=("customer__last_name", "customer__first_name")
    )
    stage = tables.Column(verbose_name=_("Stage"), order_by=("stage__pipeline__position", "stage__position"))
    status = ChoiceBadgeColumn(DEAL_STATUS, verbose_name=_("Status"), order_by=("status",))
    amount = MoneyColumn(
        verbose_name=_("Amount"),
        attrs={"td": {"class": "text-end"}, "th": {"class": "text-end"}, "tf": {"class": "text-end"}},
        footer=totals_cell(money),
    )
    expected_close_date = ShortDateColumn(verbose_name=_("Expected close"))
    owner = tables.Column(verbose_name=_("Owner"), order_by=("owner__first_name", "owner__last_name"))

    # Of the rows a deal joins, the columns its cells show (FilteredTableView.get_table_data).
    related_columns = {
        "customer": ("first_name", "last_name"),
        "pipeline": ("name",),
        "stage": ("name",),
        "owner": ("first_name", "last_name", "username"),
    }

    class Meta:
        model = Deal
        fields = ("title", "customer", "pipeline", "stage", "status", "amount", "expected_close_date", "owner")
        order_by = ("expected_close_date",)
        attrs = {"class": "table table-hover align-middle mb-0", "id": "deal-table", "tfoot": {"class": "fw-semibold"}}

    def render_expected_close_date(self, value, record):
        text = date_format(value, "SHORT_DATE_FORMAT")
        if not record.close_overdue:
            return text
        badge = '<span class="badge text-bg-danger" data-testid="close-overdue">{}</span>'
        return format_html('<span class="text-danger">{}</span> ' + badge, text, _("Overdue"))

    def render_stage(self, value, record):
        return value.display_name
