"""The job-tracking task base and the job log's own housekeeping."""

import functools
import logging
import traceback

from celery import Task, shared_task
from celery.exceptions import Retry
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from . import selectors, services
from .heartbeat import Heartbeat

logger = logging.getLogger(__name__)


class JobTask(Task):
    """A task whose every run is written to the job log.

    The task body may call `self.progress(done, total)` and return a dict of
    counts, which the log shows. Retries, redeliveries and restarts after a
    worker died reuse the same log row; a message for a run that finished, or
    that another live worker is running, does not run the body again.
    """

    job_run = None

    def __call__(self, *args, **kwargs):
        run = services.job_start(
            name=self.name, task_id=self.request.id, args=args, kwargs=kwargs, worker=services.worker_identity()
        )
        self.job_run = run
        if run is None:
            return selectors.jobrun_counts(task_id=self.request.id)  # as a run that did the work would
        heartbeat = self._heartbeat(run)
        try:
            counts = super().__call__(*args, **kwargs)
        except Retry:
            services.job_retry_wait(run)
            raise
        except services.JobSuperseded:
            logger.warning("Job %s (%s) was taken over by another worker; this one stops.", self.name, run.task_id)
            return None
        except Exception:
            services.job_fail(run, error=traceback.format_exc())
            raise
        finally:
            if heartbeat:
                heartbeat.stop()
        try:
            services.job_succeed(run, counts=counts if isinstance(counts, dict) else None)
        except services.JobSuperseded:
            logger.warning("Job %s (%s) finished here after another worker took it over.", self.name, run.task_id)
        return counts

    def progress(self, done: int, total: int | None = None) -> None:
        if self.job_run is not None:
            services.job_progress(self.job_run, done=done, total=total)

    def _heartbeat(self, run) -> Heartbeat | None:
        """Beat from a thread while a worker runs the job (inline runs have their caller for a sign of life)."""
        if self.request.is_eager or self.request.called_directly:
            return None
        return Heartbeat(run_id=run.pk, worker=run.worker, every=settings.JOBS_HEARTBEAT_SECONDS).start()


@shared_task(base=JobTask, bind=True, name="jobs.housekeeping", label=_("Job log housekeeping"))
def housekeeping(self):
    """Send again the runs whose worker died (or fail them past the restart limit), and prune old log rows."""
    return {**services.jobs_restart_stale(), "pruned": services.jobs_prune()}


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


def job_choices() -> list[tuple[str, str]]:
    """(task name, label) of every job that writes to the job log, by label in the reader's language."""
    jobs = [name for name, task in _task_registry().items() if isinstance(task, JobTask)]
    return sorted(((name, job_label(name)) for name in jobs), key=lambda choice: choice[1])
