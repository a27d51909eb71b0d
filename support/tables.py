"""The ticket list's table. Plain cells (format_html), no cell templates:
a cell template runs every context processor again, per row (issue 11)."""

import django_tables2 as tables
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from crm_project.lists import BulkSelectColumn, ShortDateColumn

from . import sla
from .models import Ticket
from .selectors.lists import BREACHING_SOON_MINUTES

SLA_CLASSES = {"breached": "text-danger fw-semibold", "near": "text-warning-emphasis fw-semibold", "ok": ""}


def sla_cell(ticket: Ticket, now):
    """The countdown of the ticket's running clock ("2h 10m left", red once breached)."""
    due = getattr(ticket, "sla_due", None)
    if due is None:
        if ticket.status == Ticket.Status.PENDING and (ticket.resolution_due or ticket.first_response_due):
            return format_html('<span class="text-body-secondary" data-sla-state="paused">{}</span>', _("paused"))
        return mark_safe('<span class="text-body-secondary" data-sla-state="none">—</span>')  # noqa: S308 - a constant
    state = sla.sla_state(due, now, BREACHING_SOON_MINUTES)
    return format_html(
        '<span class="text-nowrap {}" data-sla-state="{}" title="{}">{}</span>',
        SLA_CLASSES.get(state, ""),
        state,
        timezone.localtime(due).strftime("%Y-%m-%d %H:%M"),
        sla.format_remaining(due, now),
    )


class TicketTable(tables.Table):
    # Below md each row is a card with these fields (the first is its title).
    card_fields = ("subject", "status", "sla")

    ids = BulkSelectColumn()
    number = tables.Column(verbose_name=_("#"), accessor="pk", order_by=("pk",))
    subject = tables.Column(verbose_name=_("Subject"))
    customer = tables.Column(verbose_name=_("Customer"), order_by=("customer__last_name", "customer__first_name"))
    queue = tables.Column(verbose_name=_("Queue"), order_by=("queue__name",))
    priority = tables.Column(verbose_name=_("Priority"))
    status = tables.Column(verbose_name=_("Status"))
    assignee = tables.Column(
        verbose_name=_("Assignee"), order_by=("assignee__first_name", "assignee__last_name"), default="—"
    )
    sla = tables.Column(verbose_name=_("SLA"), accessor="pk", order_by=("sla_missing", "sla_due"), empty_values=())
    updated_at = ShortDateColumn(
        verbose_name=_("Updated"), format="SHORT_DATETIME_FORMAT", attrs={"td": {"class": "small text-nowrap"}}
    )

    class Meta:
        model = Ticket
        fields = (
            "ids",
            "number",
            "subject",
            "customer",
            "queue",
            "priority",
            "status",
            "assignee",
            "sla",
            "updated_at",
        )
        sequence = fields
        attrs = {"class": "table table-hover align-middle mb-0", "id": "ticket-table"}
        row_attrs = {"data-ticket": lambda record: record.pk}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # One "now" for every row: the countdowns of a page agree with each other.
        self.now = timezone.now()

    def render_number(self, record: Ticket):
        return format_html('<a href="{}" class="text-nowrap">#{}</a>', _detail_url(record), record.pk)

    def render_subject(self, record: Ticket):
        return format_html(
            '<a href="{}" class="fw-semibold d-inline-block text-truncate" style="max-width: 24rem">{}</a>',
            _detail_url(record),
            record.subject,
        )

    def render_customer(self, record: Ticket):
        customer = record.customer
        return format_html(
            '{}<div class="small text-body-secondary text-truncate" style="max-width: 16rem">{}</div>',
            customer.full_name,
            customer.email,
        )

    def render_priority(self, record: Ticket):
        css = {"urgent": "text-bg-danger", "high": "text-bg-warning"}.get(record.priority, "text-bg-light border")
        return format_html('<span class="badge {}">{}</span>', css, record.get_priority_display())

    def render_status(self, record: Ticket):
        return record.get_status_display()

    def render_sla(self, record: Ticket):
        return sla_cell(record, self.now)


def _detail_url(ticket: Ticket) -> str:
    return reverse("support:ticket-detail", args=[ticket.pk])
