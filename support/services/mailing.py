"""Sending outbox rows (support.models.OutboundEmail) through Django's mail backend."""

from email.utils import formataddr
from typing import Literal, cast

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from .. import mail
from ..models import OutboundEmail

AUTO_SUBMITTED = ("auto-replied", "auto-generated")


def outbound_deliver(*, outbound_id: int) -> dict:
    """Claim the row (queued or failed → sending), send, record the outcome.

    A row already sent or being sent by another run is left alone, so a
    redelivered task never mails twice."""
    with transaction.atomic():
        row = OutboundEmail.objects.select_for_update().filter(pk=outbound_id).first()
        if row is None or row.status in (OutboundEmail.Status.SENT, OutboundEmail.Status.SENDING):
            return {"sent": 0}
        row.status, row.attempts = OutboundEmail.Status.SENDING, row.attempts + 1
        row.save(update_fields=["status", "attempts"])
    try:
        _message(row).send()
    except Exception as error:  # noqa: BLE001 - any transport error is recorded on the row
        OutboundEmail.objects.filter(pk=row.pk).update(status=OutboundEmail.Status.FAILED, error=str(error)[:2000])
        return {"sent": 0, "failed": 1}
    OutboundEmail.objects.filter(pk=row.pk).update(status=OutboundEmail.Status.SENT, sent_at=timezone.now(), error="")
    return {"sent": 1}


def _message(row: OutboundEmail) -> EmailMessage:
    """The mail for an outbox row: threading headers from the row, replies going to the
    queue's own address (or SUPPORT_FROM_EMAIL), so the answer lands in the same queue."""
    queue = row.ticket.queue
    sender = formataddr((queue.name, queue.inbound_address)) if queue.inbound_address else settings.SUPPORT_FROM_EMAIL
    headers = dict(row.headers)
    auto = headers.pop("Auto-Submitted", None)
    return mail.build_email(
        subject=row.subject,
        body=row.body,
        from_email=sender,
        to=[row.to_address],
        reply_to=[sender],
        message_id=row.message_id,
        in_reply_to=headers.pop("In-Reply-To", None),
        references=mail.message_ids(headers.pop("References", "")),
        auto_submitted=cast(Literal["auto-replied", "auto-generated"], auto) if auto in AUTO_SUBMITTED else None,
        attachments=_attachments(row),
        extra_headers=headers,
    )


def _attachments(row: OutboundEmail) -> list[tuple[str, bytes, str]]:
    """A reply's files go with it (each within CRM_ATTACHMENT_MAX_BYTES when it was added)."""
    message = row.ticket_message
    if message is None:
        return []
    files = []
    for attachment in message.attachments.all():
        with attachment.file.open("rb") as stored:
            files.append((attachment.original_name, stored.read(), attachment.content_type))
    return files
