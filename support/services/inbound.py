"""Mail in: one service for every way a message arrives (an MTA pipe, IMAP, an
admin's .eml upload). The raw message is stored first, in its own transaction,
so nothing that reached us is lost whatever processing does; then it is parsed
(support.mail, no ORM there) and threads onto a ticket, opens one, or is
recorded as ignored, a duplicate or rejected, with the reason on the row."""

import hashlib
import logging
import traceback
from email.utils import parseaddr

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from .. import mail
from ..models import InboundEmail, Mailbox, OutboundEmail, Queue, Ticket, TicketAttachment, TicketMessage
from . import tickets

logger = logging.getLogger(__name__)

Outcome = InboundEmail.Outcome
# Rows whose message went through: the same Message-ID again is a no-op. A rejected
# row does not count, so a message rejected by an error can be fed in again.
PROCESSED = (Outcome.CREATED, Outcome.APPENDED, Outcome.IGNORED)
MAX_MERGE_HOPS = 10  # a merged ticket points at its target; never follow a cycle forever
HEADERS_KEPT_OF_OVERSIZED = 64 * 1024


class Rejected(Exception):
    """The message cannot become a ticket message (the reason is shown to admins)."""


class _Duplicate(Exception):
    pass


def email_ingest(
    *, raw: bytes, queue: Queue | None = None, mailbox: Mailbox | None = None, source: str = "pipe"
) -> InboundEmail:
    """Store `raw`, then process it; always returns the stored row with its outcome.

    An unexpected error is recorded, not raised: the row is `rejected` with the
    error's last line as its reason and the raw message kept for another try."""
    row = _store(raw=raw, queue=queue, mailbox=mailbox, source=source)
    try:
        with transaction.atomic():
            _process(row, raw=raw, queue=queue)
    except Rejected as reason:
        _finish(row, outcome=Outcome.REJECTED, reason=str(reason))
    except _Duplicate:
        _finish(row, outcome=Outcome.DUPLICATE, reason=_("Message-ID seen before"))
    except Exception as error:  # noqa: BLE001 - recorded on the row; the mail is kept for a retry
        logger.exception("Processing inbound email %s failed", row.pk)
        last_line = traceback.format_exception_only(error)[-1].strip()
        _finish(row, outcome=Outcome.REJECTED, reason=_("Processing failed: %(error)s") % {"error": last_line})
    return row


def _store(*, raw: bytes, queue: Queue | None, mailbox: Mailbox | None, source: str) -> InboundEmail:
    # Its own transaction: committed before any processing starts (a caller flags the
    # mail on the IMAP server only after this). An oversized message keeps its headers only.
    kept = raw if len(raw) <= settings.CRM_SUPPORT_MAX_EMAIL_BYTES else _headers_of(raw)
    with transaction.atomic():
        return InboundEmail.objects.create(raw=kept, size=len(raw), queue=queue, mailbox=mailbox, source=source)


def _headers_of(raw: bytes) -> bytes:
    head = raw[:HEADERS_KEPT_OF_OVERSIZED]
    for separator in (b"\r\n\r\n", b"\n\n"):
        if separator in head:
            return head.split(separator, 1)[0] + separator
    return head


def _finish(row: InboundEmail, *, outcome: str, reason: str = "", ticket: Ticket | None = None) -> None:
    row.outcome, row.reason, row.ticket = outcome, reason, ticket
    row.save(update_fields=["outcome", "reason", "ticket", "message_id", "from_address", "subject"])


def _process(row: InboundEmail, *, raw: bytes, queue: Queue | None) -> None:
    if row.size > settings.CRM_SUPPORT_MAX_EMAIL_BYTES:
        raise Rejected(
            _("Too large: %(size)d bytes, the limit is %(limit)d.")
            % {"size": row.size, "limit": settings.CRM_SUPPORT_MAX_EMAIL_BYTES}
        )
    parsed = mail.parse_message(
        raw, max_attachment_bytes=settings.CRM_ATTACHMENT_MAX_BYTES, own_addresses=own_addresses()
    )
    # Mail without a Message-ID still gets one on its row (a digest of its bytes), so
    # the same message fetched twice is still recognised.
    row.message_id = parsed.message_id or f"sha256-{hashlib.sha256(raw).hexdigest()[:40]}@no-message-id.invalid"
    row.from_address, row.subject = (parsed.from_address or "")[:255], parsed.subject[:255]
    if _seen_before(row):
        raise _Duplicate
    if not parsed.from_address:
        raise Rejected(_("No usable From address."))
    if parsed.is_automatic:
        _finish(row, outcome=Outcome.IGNORED, reason=parsed.automatic_reason)
        return
    try:
        with transaction.atomic():
            outcome, reason, ticket = _thread_or_open(parsed, queue=queue)
    except IntegrityError:
        # Another process stored a message with this Message-ID meanwhile (the same
        # mail reached two mailboxes): the unique constraint makes it a duplicate.
        if parsed.message_id and TicketMessage.objects.filter(message_id=parsed.message_id).exists():
            raise _Duplicate from None
        raise
    _finish(row, outcome=outcome, reason=reason, ticket=ticket)


def own_addresses() -> set[str]:
    """Addresses we send from or receive at: mail from them is a loop, never a customer."""
    addresses = {parseaddr(settings.SUPPORT_FROM_EMAIL)[1]}
    addresses |= set(Queue.objects.exclude(inbound_address="").values_list("inbound_address", flat=True))
    addresses |= {name for name in Mailbox.objects.values_list("username", flat=True) if "@" in name}
    return {address.strip().lower() for address in addresses if address}


def _seen_before(row: InboundEmail) -> bool:
    mid = row.message_id
    return (
        InboundEmail.objects.filter(message_id=mid, outcome__in=PROCESSED).exclude(pk=row.pk).exists()
        or TicketMessage.objects.filter(message_id=mid).exists()
        or OutboundEmail.objects.filter(message_id=mid).exists()
    )


# --- threading -----------------------------------------------------------------


def _thread_or_open(parsed: mail.ParsedEmail, *, queue: Queue | None) -> tuple[str, str, Ticket]:
    found = _ticket_by_message_ids(parsed)
    reason = "in-reply-to" if found and found[1] in parsed.in_reply_to else "references"
    ticket = found[0] if found else None
    if ticket is None:
        ticket, reason = _ticket_by_subject(parsed), "subject-token"
    if ticket is None:
        new = _open(parsed, queue=_queue_for(parsed, queue))
        return Outcome.CREATED, "new", new
    if ticket.status == Ticket.Status.CLOSED:
        new = _open(parsed, queue=ticket.queue, follow_up_of=ticket)
        return Outcome.CREATED, f"follow-up of closed ticket #{ticket.pk}", new
    message = tickets.ticket_customer_reply(
        ticket=ticket,
        body=parsed.reply_text,
        from_address=parsed.from_address or "",
        from_name=parsed.from_name[:200],
        message_fields=_message_fields(parsed),
    )
    _attach(parsed, message=message)
    return Outcome.APPENDED, reason, ticket


def _ticket_by_message_ids(parsed: mail.ParsedEmail) -> tuple[Ticket, str] | None:
    """The ticket of the most recent message this one answers: In-Reply-To first,
    then References from the newest, against every id we stored, received or sent
    (whichever mailbox it came through)."""
    wanted = list(dict.fromkeys([*parsed.in_reply_to, *reversed(parsed.references)]))
    if not wanted:
        return None
    owners = dict(TicketMessage.objects.filter(message_id__in=wanted).values_list("message_id", "ticket_id"))
    for mid, ticket_id in OutboundEmail.objects.filter(message_id__in=wanted).values_list("message_id", "ticket_id"):
        owners.setdefault(mid, ticket_id)
    for mid in wanted:
        if mid in owners:
            return _follow_merges(Ticket.objects.get(pk=owners[mid])), mid
    return None


def _ticket_by_subject(parsed: mail.ParsedEmail) -> Ticket | None:
    """`[Ticket #id]` counts only when the sender is the ticket's customer or wrote on it:
    anyone can type a ticket number into a subject."""
    number = mail.ticket_id_from_subject(parsed.subject)
    ticket = Ticket.objects.select_related("customer").filter(pk=number).first() if number else None
    if ticket is None:
        return None
    sender = parsed.from_address or ""
    on_ticket = (ticket.customer.email or "").lower() == sender or ticket.messages.filter(
        from_address__iexact=sender
    ).exists()
    return _follow_merges(ticket) if on_ticket else None


def _follow_merges(ticket: Ticket) -> Ticket:
    for _hop in range(MAX_MERGE_HOPS):
        if ticket.merged_into_id is None:
            break
        ticket = Ticket.objects.get(pk=ticket.merged_into_id)
    return ticket


def _queue_for(parsed: mail.ParsedEmail, queue: Queue | None) -> Queue:
    """The queue given, else the one whose address the mail was sent to, else `general`."""
    if queue is not None:
        return queue
    recipients = [*parsed.to_addresses, *parsed.cc_addresses, *parsed.delivered_to]
    query = Q()
    for address in recipients:
        query |= Q(inbound_address__iexact=address)
    by_address = (
        {q.inbound_address.lower(): q for q in Queue.objects.filter(query, is_active=True)} if recipients else {}
    )
    for address in recipients:
        if address in by_address:
            return by_address[address]
    return Queue.objects.get(slug="general")


def _open(parsed: mail.ParsedEmail, *, queue: Queue, follow_up_of: Ticket | None = None) -> Ticket:
    customer = tickets.customer_for_address(email=parsed.from_address or "", name=parsed.from_name)
    ticket = tickets.ticket_open(
        customer=customer,
        queue=queue,
        subject=parsed.subject or _("(no subject)"),
        body=parsed.reply_text,
        channel=Ticket.Channel.EMAIL,
        message_fields={**_message_fields(parsed), "from_name": parsed.from_name[:200]},
    )
    if follow_up_of is not None:
        _note(
            ticket,
            _("The customer answered closed ticket #%(number)d; this ticket continues it.")
            % {"number": follow_up_of.pk},
        )
        tickets.ticket_event(ticket=ticket, actor=None, action="follow_up_of", new=str(follow_up_of.pk))
    _attach(parsed, message=ticket.messages.order_by("pk").first())
    return ticket


def _message_fields(parsed: mail.ParsedEmail) -> dict:
    return {
        "message_id": parsed.message_id,
        "in_reply_to": parsed.in_reply_to[0] if parsed.in_reply_to else "",
        "references": " ".join(parsed.references),
        "body_html": parsed.html,
        "quoted_text": parsed.quoted_text,
    }


# --- attachments ---------------------------------------------------------------


def _attach(parsed: mail.ParsedEmail, *, message: TicketMessage | None) -> None:
    """Keep the attachments under CRM_ATTACHMENT_MAX_BYTES (stored under random names);
    each one dropped gets an internal note naming it."""
    if message is None:
        return
    for item in parsed.attachments:
        TicketAttachment.objects.create(
            ticket=message.ticket,
            message=message,
            file=ContentFile(item.content, name=item.filename),
            original_name=item.filename[:255],
            size=item.size,
            content_type=item.content_type[:100],
        )
    for dropped in parsed.dropped_attachments:
        note = mail.dropped_attachment_note(dropped, max_attachment_bytes=settings.CRM_ATTACHMENT_MAX_BYTES)
        _note(message.ticket, note)


def _note(ticket: Ticket, body: str) -> TicketMessage:
    """An internal note written by the system (no author): agents see it, customers never."""
    note = TicketMessage.objects.create(ticket=ticket, kind=TicketMessage.Kind.INTERNAL, body=body)
    tickets.ticket_event(ticket=ticket, actor=None, action="note_added", data={"message": note.pk})
    return note
