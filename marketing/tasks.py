"""Marketing's Celery tasks, one block per area."""

import logging

from celery import shared_task
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from jobs.tasks import JobTask

from .models import Segment
from .selectors import segments as segment_selectors
from .services import segments, sequences

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
