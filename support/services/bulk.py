"""Bulk actions of the ticket list: one service call per ticket, so each change
writes its own ticket event. The caller passes only tickets the user may work
(`Ticket.objects.workable_by(user)`); ids outside it never reach these."""

from django.db import transaction
from django.db.models import QuerySet

from accounts.models import User
from customers.models import Tag

from ..models import Queue, Ticket
from . import tickets


@transaction.atomic
def tickets_bulk_assign(*, tickets_qs: QuerySet[Ticket], assignee: User | None, actor: User) -> int:
    """Assign (or unassign) the tickets; a ticket whose queue the assignee does not
    work is left alone, so nobody is given a ticket they cannot open."""
    if assignee is not None:
        tickets_qs = tickets_qs.filter(pk__in=Ticket.objects.workable_by(assignee).values("pk"))
    changed = 0
    for ticket in tickets_qs.select_related("assignee").select_for_update(of=("self",)):
        if ticket.assignee_id != (assignee.pk if assignee else None):
            tickets.ticket_assign(ticket=ticket, assignee=assignee, actor=actor)
            changed += 1
    return changed


@transaction.atomic
def tickets_bulk_set_status(*, tickets_qs: QuerySet[Ticket], status: str, actor: User) -> int:
    changed = 0
    for ticket in tickets_qs.select_related("queue__calendar", "customer").select_for_update(of=("self",)):
        if ticket.status != status:
            tickets.ticket_set_status(ticket=ticket, status=status, actor=actor)
            changed += 1
    return changed


@transaction.atomic
def tickets_bulk_move(*, tickets_qs: QuerySet[Ticket], queue: Queue, actor: User) -> int:
    changed = 0
    for ticket in tickets_qs.select_related("queue", "customer").select_for_update(of=("self",)):
        if ticket.queue_id != queue.pk:
            tickets.ticket_move(ticket=ticket, queue=queue, actor=actor)
            changed += 1
    return changed


@transaction.atomic
def tickets_bulk_add_tag(*, tickets_qs: QuerySet[Ticket], tag: Tag, actor: User) -> int:
    changed = 0
    for ticket in tickets_qs.exclude(tags=tag):
        tickets.ticket_add_tags(ticket=ticket, tags=[tag], actor=actor)
        changed += 1
    return changed
