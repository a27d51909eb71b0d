"""The ticket list as CSV: the filtered set the user sees, streamed in chunks,
every text cell neutralised against formula injection (as the customer export)."""

from collections.abc import Iterator

from django.db.models import QuerySet
from django.utils import timezone

from crm_project.csv_export import neutralise

from .. import sla
from ..models import Ticket
from ..selectors.lists import BREACHING_SOON_MINUTES

COLUMNS = (
    "number", "subject", "customer", "customer_email", "queue", "priority", "status", "assignee", "channel",
    "created_at", "updated_at", "first_response_due", "resolution_due", "sla_state",
)  # fmt: skip
CHUNK_SIZE = 2000


def tickets_export_rows(queryset: QuerySet[Ticket]) -> Iterator[list]:
    """The header row, then one row per ticket (the queryset carries `sla_due`)."""
    now = timezone.now()
    yield list(COLUMNS)
    rows = queryset.select_related("customer", "queue", "assignee")
    for ticket in rows.iterator(chunk_size=CHUNK_SIZE):
        yield [neutralise(value) for value in _row(ticket, now)]


def _row(ticket: Ticket, now) -> list:
    return [
        ticket.pk,
        ticket.subject,
        ticket.customer.full_name,
        ticket.customer.email,
        ticket.queue.name,
        ticket.priority,
        ticket.status,
        ticket.assignee.username if ticket.assignee else "",
        ticket.channel,
        ticket.created_at.isoformat(),
        ticket.updated_at.isoformat(),
        ticket.first_response_due.isoformat() if ticket.first_response_due else "",
        ticket.resolution_due.isoformat() if ticket.resolution_due else "",
        sla.sla_state(getattr(ticket, "sla_due", None), now, BREACHING_SOON_MINUTES),
    ]
