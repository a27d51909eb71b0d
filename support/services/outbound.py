"""The outbox: every mail to a customer is first an OutboundEmail row, written
in the transaction of the change that causes it, then sent by the idempotent
`support.outbound_send` task (support/tasks.py). A reply is never lost: a send
that fails leaves the row `failed` with its error, to be retried from the ticket."""

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

from jobs.services import job_enqueue

from .. import mail, tokens
from ..models import CsatSurvey, OutboundEmail, Ticket, TicketMessage


def new_message_id() -> str:
    """A fresh Message-ID on SUPPORT_EMAIL_DOMAIN in its stored form (no brackets; see support.mail)."""
    return mail.normalise_message_id(mail.new_message_id(domain=settings.SUPPORT_EMAIL_DOMAIN))


def reply_subject(ticket: Ticket) -> str:
    """`Re: [Ticket #<id>] <subject>`: one "Re:" and one token, however the subject arrived."""
    return mail.reply_subject(ticket.pk, ticket.subject)


def ticket_link(ticket: Ticket) -> str:
    return f"{settings.CRM_SITE_URL}/help/t/{tokens.ticket_token(ticket)}/"


def _thread_headers(ticket: Ticket, *, sending: TicketMessage | None = None) -> dict[str, str]:
    """In-Reply-To the customer's last message; References its own chain, then the
    ticket's messages oldest first (the mail being sent left out), as header values."""
    messages = ticket.messages.exclude(message_id="")
    if sending is not None:
        messages = messages.exclude(pk=sending.pk)
    ids = list(messages.order_by("created_at", "pk").values_list("message_id", flat=True))
    parent = messages.filter(from_customer=True).order_by("-created_at", "-pk").first()
    previous = [*(parent.references.split() if parent else []), *ids]
    chain = mail.references_chain(previous, parent.message_id if parent else None)
    headers = {}
    if parent is not None:
        headers["In-Reply-To"] = mail.format_message_id(parent.message_id)
    if chain:
        headers["References"] = " ".join(mail.format_message_id(item) for item in chain)
    return headers


def _queue_outbound(
    *, ticket: Ticket, kind: str, template: str, context: dict, message: TicketMessage | None = None, extra=None
) -> OutboundEmail:
    message_id = message.message_id if message and message.message_id else new_message_id()
    with translation.override(settings.LANGUAGE_CODE):
        body = render_to_string(template, {"ticket": ticket, "link": ticket_link(ticket), **context})
    row = OutboundEmail.objects.create(
        ticket=ticket,
        ticket_message=message,
        kind=kind,
        to_address=ticket.customer.email,
        subject=reply_subject(ticket),
        message_id=message_id,
        headers={**_thread_headers(ticket, sending=message), **(extra or {})},
        body=body,
    )
    outbound_enqueue(row)
    return row


def outbound_enqueue(row: OutboundEmail) -> None:
    """Send the row after commit (the task by name: services never import tasks)."""
    job_enqueue(task="support.outbound_send", kwargs={"outbound_id": row.pk})


def outbound_reply(*, message: TicketMessage) -> OutboundEmail | None:
    ticket = message.ticket
    if not ticket.customer.email:
        return None
    if not message.message_id:
        message.message_id = new_message_id()
        message.save(update_fields=["message_id"])
    return _queue_outbound(
        ticket=ticket,
        kind=OutboundEmail.Kind.REPLY,
        template="support/email/reply.txt",
        context={"message": message},
        message=message,
    )


def outbound_acknowledge(*, ticket: Ticket) -> OutboundEmail | None:
    if not ticket.customer.email:
        return None
    return _queue_outbound(
        ticket=ticket,
        kind=OutboundEmail.Kind.ACKNOWLEDGEMENT,
        template="support/email/acknowledgement.txt",
        context={},
        extra={"Auto-Submitted": "auto-replied"},
    )


def outbound_survey(*, ticket: Ticket) -> OutboundEmail | None:
    """On solve: a survey row and a mail with its signed link."""
    survey = CsatSurvey.objects.create(ticket=ticket, agent=ticket.assignee, queue=ticket.queue)
    if not ticket.customer.email:
        return None
    link = f"{settings.CRM_SITE_URL}/help/csat/{tokens.survey_token(survey)}/"
    return _queue_outbound(
        ticket=ticket,
        kind=OutboundEmail.Kind.SURVEY,
        template="support/email/survey.txt",
        context={"survey_link": link},
        extra={"Auto-Submitted": "auto-generated"},
    )


def outbound_retry(*, outbound: OutboundEmail, actor) -> OutboundEmail:
    """A failed mail goes back to the outbox (queued) and is sent again; the row
    is claimed under lock, so two clicks on "Retry" enqueue it once."""
    from .tickets import ticket_event  # tickets imports this module

    with transaction.atomic():
        row = OutboundEmail.objects.select_for_update().get(pk=outbound.pk)
        if row.status != OutboundEmail.Status.FAILED:
            return row
        row.status, row.error = OutboundEmail.Status.QUEUED, ""
        row.save(update_fields=["status", "error"])
        ticket_event(ticket=row.ticket, actor=actor, action="mail_retried", data={"outbound": row.pk})
        outbound_enqueue(row)
    return row
