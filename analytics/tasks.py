"""The RFM scoring job: run nightly by beat (analytics-rfm-nightly) or by a manager's "Run now"."""

from datetime import date

from celery import shared_task
from django.utils.translation import gettext_lazy as _

from jobs.models import JobRun
from jobs.tasks import JobTask

from .db import crm_today
from .models import RfmRun
from .services import rfm_score_run


@shared_task(base=JobTask, bind=True, name="analytics.rfm_score", label=_("RFM scoring"))
def rfm_score(self, as_of: str | None = None, window_days: int | None = None):
    """Score all customers. A scheduled run skips a day that the schedule already scored."""
    trigger = self.job_run.trigger if self.job_run else JobRun.Trigger.SCHEDULE
    day = date.fromisoformat(as_of) if as_of else crm_today()
    if trigger == JobRun.Trigger.SCHEDULE and _already_scored_by_schedule(day, window_days):
        return {"skipped": 1}
    run = rfm_score_run(
        as_of=day,
        window_days=window_days,
        trigger=RfmRun.Trigger(trigger),
        actor=self.job_run.triggered_by if self.job_run else None,
        progress=self.progress,
    )
    return {"run": run.pk, "scored": run.n_scored}


def _already_scored_by_schedule(day: date, window_days: int | None) -> bool:
    return RfmRun.objects.filter(as_of=day, window_days=window_days, trigger=RfmRun.Trigger.SCHEDULE).exists()
