"""The analytics jobs: RFM scoring, run nightly by beat (analytics-rfm-nightly), and the CLV fit,
run weekly (analytics-clv-weekly); both also by a manager's "Run now"."""

from datetime import date

from celery import shared_task
from django.utils.translation import gettext_lazy as _

from jobs.models import JobRun
from jobs.tasks import JobTask

from .db import crm_today
from .models import ClvRun, RfmRun
from .services import clv, rfm_score_run


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


@shared_task(base=JobTask, bind=True, name="analytics.clv_fit", label=_("Customer lifetime value fit"))
def clv_fit(
    self,
    calibration_end: str | None = None,
    holdout_end: str | None = None,
    unit: str = ClvRun.Unit.WEEKS,
    horizon: float | None = None,
    penalizer: float = 0.0,
):
    """Fit the CLV models and score every buyer. A fit that does not converge fails the job with
    btyd.FitError's message. A scheduled run skips a calibration end the schedule already fitted."""
    trigger = self.job_run.trigger if self.job_run else JobRun.Trigger.SCHEDULE
    day = date.fromisoformat(calibration_end) if calibration_end else crm_today()
    if trigger == JobRun.Trigger.SCHEDULE and _already_fitted_by_schedule(day):
        return {"skipped": 1}
    run = clv.clv_fit_run(
        calibration_end=day,
        holdout_end=date.fromisoformat(holdout_end) if holdout_end else None,
        unit=unit,
        horizon=horizon,
        penalizer=penalizer,
        trigger=ClvRun.Trigger(trigger),
        actor=self.job_run.triggered_by if self.job_run else None,
        progress=self.progress,
    )
    return {"run": run.pk, "customers": run.n_customers, "repeat": run.n_repeat}


def _already_fitted_by_schedule(day: date) -> bool:
    return ClvRun.objects.filter(calibration_end=day, trigger=ClvRun.Trigger.SCHEDULE).exists()
