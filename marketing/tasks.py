"""Marketing's Celery tasks, one block per area.

Campaigns: one logged job per campaign run (`campaign_send`, which cuts the outbox
into batches); the batches themselves are plain Celery tasks, not job-log rows
(100k recipients would be 1,000 rows): their progress is the outbox's counts by
status, shown on the campaign's page."""

import logging

from celery import shared_task
from django.core.exceptions import ValidationError
from django.db import OperationalError
from django.utils.translation import gettext_lazy as _

from jobs.tasks import JobTask

from .models import Segment
from .selectors import segments as segment_selectors
from .services import campaigns, segments, sending, sequences

logger = logging.getLogger(__name__)


# --- segments ---------------------------------------------------------------------------
@shared_task(base=JobTask, bind=True, name="marketing.segment_refresh", label=_("Segment refresh"))
def segment_refresh(self, segment_id: int | None = None, due_only: bool = True):
    """Refresh one segment, or the dynamic ones: those due (beat), or all of them (after an
    RFM run, since their RFM rules now read another run). A segment whose rules no longer
    validate (a custom field removed) is skipped and counted, not fatal to the others."""
    if segment_id is not None:
        chosen = list(Segment.objects.filter(pk=segment_id))
    elif due_only:
        chosen = segment_selectors.segments_due()
    else:
        chosen = list(Segment.objects.filter(kind=Segment.Kind.DYNAMIC))
    refreshed = failed = 0
    for done, segment in enumerate(chosen, start=1):
        try:
            segments.segment_refresh(segment=segment)
            refreshed += 1
        except ValidationError as error:
            failed += 1
            logger.warning("Segment %s was not refreshed: %s", segment.pk, "; ".join(error.messages))
        self.progress(done, len(chosen))
    return {"refreshed": refreshed, "failed": failed}


# --- drip sequences ---------------------------------------------------------------------
@shared_task(base=JobTask, bind=True, name="marketing.sequences_run", label=_("Drip sequences"))
def sequences_run(self):
    """Beat, every few minutes: enrol, exit and advance the drip sequences; counts go to the job log."""
    return sequences.sequences_run()


# --- campaigns --------------------------------------------------------------------------
@shared_task(base=JobTask, bind=True, name="marketing.campaign_send", label=_("Campaign sending"))
def campaign_send(self, campaign_id: int):
    """Enqueue the campaign's pending rows in batches, one minute's quota per minute."""
    return sending.campaign_enqueue_batches(campaign_id=campaign_id)


@shared_task(
    name="marketing.outbox_send_batch",
    autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5,
)  # fmt: skip
def outbox_send_batch(ids: list[int]):
    """Send a batch of outbox rows. Idempotent: rows already sent or claimed by a live batch are not claimed."""
    return sending.outbox_send_batch(ids=ids)


@shared_task(base=JobTask, bind=True, name="marketing.campaign_dispatch_due", label=_("Scheduled campaigns"))
def campaign_dispatch_due(self):
    """Beat, every minute: start the scheduled campaigns that are due (each once)."""
    return {"started": campaigns.campaign_dispatch_due()}


@shared_task(base=JobTask, bind=True, name="marketing.outbox_requeue_stale", label=_("Campaign mail recovery"))
def outbox_requeue_stale(self):
    """Beat: send again the outbox rows a dead worker left pending or claimed past the lease."""
    return sending.outbox_requeue_stale()
