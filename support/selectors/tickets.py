"""Reads of tickets. Every view, list, search, export, bulk action and
attachment starts from `tickets_visible_to` or `ticket_get_for_user`."""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from accounts import roles
from crm_project.access import user_team_ids

from ..models import Queue, Ticket, TicketAttachment, TicketMessage


def tickets_visible_to(user) -> QuerySet[Ticket]:
    return Ticket.objects.visible_to(user)


def ticket_get_for_user(*, user, pk, write: bool = False) -> Ticket:
    """The ticket if the user may see it (404 otherwise); with write=True, also
    require that they may answer and change it (403 for a sales rep's read-only view)."""
    ticket = tickets_visible_to(user).select_related("customer", "queue", "assignee").filter(pk=pk).first()
    if ticket is None:
        raise Http404
    if write and not may_work(user, ticket):
        raise PermissionDenied
    return ticket


def may_work(user, ticket: Ticket) -> bool:
    """Agents of the ticket's queue, its team's managers and admins answer and change it."""
    return Ticket.objects.workable_by(user).filter(pk=ticket.pk).exists()


def sees_internal_notes(user, ticket: Ticket) -> bool:
    """Internal notes are for those who work the ticket, never for a sales rep's read-only view."""
    return may_work(user, ticket)


def ticket_messages_for_user(*, user, ticket: Ticket) -> QuerySet[TicketMessage]:
    messages = ticket.messages.select_related("author").prefetch_related("attachments")
    if not sees_internal_notes(user, ticket):
        messages = messages.filter(kind=TicketMessage.Kind.PUBLIC)
    return messages


def attachment_get_for_user(*, user, pk) -> TicketAttachment:
    """An attachment through its ticket's access helper; a note's attachment only for those who see notes."""
    attachment = TicketAttachment.objects.select_related("message").filter(pk=pk).first()
    if attachment is None:
        raise Http404
    ticket = ticket_get_for_user(user=user, pk=attachment.ticket_id)
    if attachment.message and attachment.message.is_internal and not sees_internal_notes(user, ticket):
        raise Http404
    return attachment


def queues_for_user(user) -> QuerySet[Queue]:
    """Queues the user works (a member) or oversees (a manager of its team; all of
    them for admins and for managers when CRM_SCOPE_MANAGER is "all")."""
    if roles.is_admin(user) or (roles.is_manager(user) and settings.CRM_SCOPE_MANAGER == "all"):
        return Queue.objects.all()
    q = Q(members=user)
    if roles.is_manager(user):
        q |= Q(team__in=sorted(user_team_ids(user)))
    return Queue.objects.filter(q).distinct()
