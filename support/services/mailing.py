"""Sending outbox rows (support.models.OutboundEmail) through Django's mail backend."""

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from ..models import OutboundEmail


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
    from_address = row.ticket.queue.inbound_address or settings.SUPPORT_FROM_EMAIL
    return EmailMessage(
        subject=row.subject,
        body=row.body,
        from_email=from_address,
        to=[row.to_address],
        headers={"Message-ID": row.message_id, **row.headers},
    )
