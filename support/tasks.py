"""Background jobs of the support app."""

from celery import shared_task
from django.db import OperationalError
from django.utils.translation import gettext_lazy as _

from jobs.tasks import JobTask

from .services import escalation, imap, mailing


@shared_task(
    base=JobTask, bind=True, name="support.outbound_send",
    label=_("Support mail"),
    autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3,
)  # fmt: skip
def outbound_send(self, outbound_id: int):
    """Send one outbox row. Idempotent: a sent row is never sent again, and a
    failed send stays `failed` with its error (retried from the ticket)."""
    return mailing.outbound_deliver(outbound_id=outbound_id)


@shared_task(base=JobTask, bind=True, name="support.sla_escalate", label=_("SLA escalation"))
def sla_escalate(self):
    """Beat, every minute: fire the escalation rules (each once per ticket); counts go to the job log."""
    return escalation.sla_escalate()


@shared_task(base=JobTask, bind=True, name="support.fetch_mail", label=_("Fetch support mail"))
def fetch_mail(self):
    """Read every active mailbox over IMAP (beat, every minute). A mailbox that refuses
    the sign-in fails the run with its error, after the others were read."""
    return imap.mailboxes_fetch()
