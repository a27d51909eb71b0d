"""Writes behind the customers' pages (no login): a request from the web form
and a fresh link mailed when an old one has expired.

A link mail goes only to the address on the ticket's customer, whoever asked
for it: the page that asks never learns or shows anything about the ticket."""

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

from .. import tokens
from ..models import CsatSurvey, OutboundEmail, Queue, Ticket
from . import outbound
from . import tickets as ticket_services

WEB_QUEUE = "general"


@transaction.atomic
def help_request_submit(*, name: str, email: str, subject: str, body: str) -> Ticket:
    """Open a web ticket in the general queue for the customer with this email
    (matched case-insensitively, or created). The acknowledgement carries the
    customer's link; a queue that does not acknowledge still mails the link,
    because the thanks page promises it."""
    customer = ticket_services.customer_for_address(email=email, name=name)
    # The data migration creates it; made again if it was removed, so the form never fails.
    queue, _ = Queue.objects.get_or_create(slug=WEB_QUEUE, defaults={"name": "General"})
    ticket = ticket_services.ticket_open(
        customer=customer,
        queue=queue,
        subject=subject,
        body=body,
        channel=Ticket.Channel.WEB,
        message_fields={"from_name": name[:200]},
    )
    if not queue.auto_acknowledge:
        outbound_link(ticket=ticket)
    return ticket


@transaction.atomic
def outbound_link(*, ticket: Ticket) -> OutboundEmail | None:
    """Mail the ticket's customer a fresh link to their request."""
    return _link_mail(ticket=ticket, kind=OutboundEmail.Kind.LINK, template="support/email/link.txt", context={})


@transaction.atomic
def outbound_survey_link(*, survey: CsatSurvey) -> OutboundEmail | None:
    """Mail the ticket's customer a fresh link to an unanswered survey."""
    if survey.answered_at is not None:
        return None
    link = f"{settings.CRM_SITE_URL}/help/csat/{tokens.survey_token(survey)}/"
    return _link_mail(
        ticket=survey.ticket,
        kind=OutboundEmail.Kind.SURVEY,
        template="support/email/survey.txt",
        context={"survey_link": link},
    )


def _link_mail(*, ticket: Ticket, kind: str, template: str, context: dict) -> OutboundEmail | None:
    if not ticket.customer.email:
        return None
    link = outbound.ticket_link(ticket)
    with translation.override(settings.LANGUAGE_CODE):
        body = render_to_string(template, {"ticket": ticket, "link": link, **context})
    row = OutboundEmail.objects.create(
        ticket=ticket,
        kind=kind,
        to_address=ticket.customer.email,
        subject=outbound.reply_subject(ticket),
        message_id=outbound.new_message_id(),
        headers={"Auto-Submitted": "auto-generated"},
        body=body,
    )
    outbound.outbound_enqueue(row)
    return row
