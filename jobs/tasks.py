"""The job-tracking task base and the job log's own housekeeping."""

import functools
import traceback

from celery import Task, shared_task
from celery.exceptions import Retry
from django.conf import settings
from django.utils.translation import gettext_lazy as _

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


@shared_task(base=JobTask, bind=True, name="jobs.housekeeping", label=_("Job log housekeeping"))
def housekeeping(self):
    """Mark runs whose worker died as failed, and prune old log rows."""
    return {"stale": services.jobs_mark_stale(), "pruned": services.jobs_prune()}


@functools.cache
def _task_registry():
    """Celery's tasks, with every app's tasks module imported (a web process has not done so yet)."""
    from crm_project.celery import app

    app.loader.import_default_modules()
    return app.tasks


def runnable_jobs() -> dict:
    """Jobs that managers and admins may start by hand from /jobs/ (settings.JOBS_RUNNABLE)."""
    tasks = _task_registry()
    return {name: tasks[name] for name in settings.JOBS_RUNNABLE}


def job_label(name: str) -> str:
    """A job's name for people (its task's `label`), or the task name when it has none."""
    return str(getattr(_task_registry().get(name), "label", "") or name)
