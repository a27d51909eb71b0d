"""The job-tracking task base and the job log's own housekeeping."""

import traceback

from celery import Task, shared_task
from celery.exceptions import Retry
from django.conf import settings

from . import services


class JobTask(Task):
    """A task whose every run is written to the job log.

    The task body may call `self.progress(done, total)` and return a dict of
    counts, which the log shows. Retries reuse the same log row.
    """

    job_run = None

    def __call__(self, *args, **kwargs):
        self.job_run = services.job_start(name=self.name, task_id=self.request.id)
        try:
            counts = super().__call__(*args, **kwargs)
        except Retry:
            raise
        except Exception:
            services.job_fail(self.job_run, error=traceback.format_exc())
            raise
        services.job_succeed(self.job_run, counts=counts if isinstance(counts, dict) else None)
        return counts

    def progress(self, done: int, total: int | None = None) -> None:
        if self.job_run is not None:
            services.job_progress(self.job_run, done=done, total=total)


@shared_task(base=JobTask, bind=True, name="jobs.housekeeping")
def housekeeping(self):
    """Mark runs whose worker died as failed, and prune old log rows."""
    return {"stale": services.jobs_mark_stale(), "pruned": services.jobs_prune()}


def runnable_jobs() -> dict:
    """Jobs that managers and admins may start by hand from /jobs/ (settings.JOBS_RUNNABLE)."""
    from crm_project.celery import app

    return {name: app.tasks[name] for name in settings.JOBS_RUNNABLE}
