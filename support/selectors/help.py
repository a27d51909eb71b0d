"""Reads for the customer's link page: the public thread only.

The customer holds a signed link, not an account, so these never go through
the agents' access helper: they start from the one ticket the link names and
keep to its public messages (never internal notes, never events)."""

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from .. import tokens
from ..models import CsatSurvey, Ticket, TicketAttachment, TicketMessage


class LinkExpired(Exception):
    """A genuine link past its age: the page offers to mail a fresh one."""

    def __init__(self, pk: int):
        super().__init__(pk)
        self.pk = pk


def ticket_from_link(token: str) -> Ticket:
    """The ticket a link names; 404 when tampered (or the ticket is gone), LinkExpired when old."""
    unsigned = tokens.ticket_from_token(token)
    ticket = _get(Ticket.objects.select_related("customer"), unsigned.pk)
    if unsigned.expired:
        raise LinkExpired(ticket.pk)
    return ticket


def expired_ticket_from_link(token: str) -> Ticket:
    """The ticket of a genuine link, expired or not (for mailing a fresh one); 404 when tampered."""
    return _get(Ticket.objects.select_related("customer"), tokens.ticket_from_token(token).pk)


def survey_from_link(token: str) -> CsatSurvey:
    unsigned = tokens.survey_from_token(token)
    survey = _get(CsatSurvey.objects.select_related("ticket__customer"), unsigned.pk)
    if unsigned.expired:
        raise LinkExpired(survey.pk)
    return survey


def expired_survey_from_link(token: str) -> CsatSurvey:
    return _get(CsatSurvey.objects.select_related("ticket__customer"), tokens.survey_from_token(token).pk)


def public_thread(*, ticket: Ticket) -> QuerySet[TicketMessage]:
    """The customer's view of the thread: public messages and their attachments."""
    return (
        ticket.messages.filter(kind=TicketMessage.Kind.PUBLIC)
        .select_related("author")
        .prefetch_related(Prefetch("attachments", queryset=TicketAttachment.objects.order_by("created_at", "pk")))
    )


def public_attachment_get(*, ticket: Ticket, pk) -> TicketAttachment:
    """An attachment of a public message of this ticket, or 404 (a note's, another ticket's)."""
    attachment = TicketAttachment.objects.filter(
        pk=pk, ticket=ticket, message__ticket=ticket, message__kind=TicketMessage.Kind.PUBLIC
    ).first()
    if attachment is None:
        raise Http404
    return attachment


def _get(queryset, pk):
    obj = queryset.filter(pk=pk).first() if pk is not None else None
    if obj is None:
        raise Http404
    return obj
