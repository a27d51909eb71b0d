"""Writes to the job log. Tasks report through these, never by saving JobRun."""

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import JobRun


def job_enqueue(*, task, actor=None, kwargs: dict | None = None) -> JobRun:
    """Record a queued run and send the task once the transaction commits."""
    task_id = str(uuid.uuid4())
    run = JobRun.objects.create(
        name=task.name,
        task_id=task_id,
        trigger=JobRun.Trigger.USER if actor else JobRun.Trigger.COMMAND,
        triggered_by=actor,
    )
    transaction.on_commit(lambda: task.apply_async(kwargs=kwargs or {}, task_id=task_id))
    return run


def job_start(*, name: str, task_id: str | None) -> JobRun:
    """Mark the run for this task id as running (a retry reuses its row)."""
    now = timezone.now()
    run, _ = JobRun.objects.get_or_create(task_id=task_id, defaults={"name": name})
    run.status = JobRun.Status.RUNNING
    run.started_at = run.started_at or now
    run.heartbeat_at = now
    run.error = ""
    run.save(update_fields=["status", "started_at", "heartbeat_at", "error"])
    return run


def job_progress(run: JobRun, *, done: int, total: int | None = None) -> None:
    run.progress_done = done
    if total is not None:
        run.progress_total = total
    run.heartbeat_at = timezone.now()
    run.save(update_fields=["progress_done", "progress_total", "heartbeat_at"])


def job_succeed(run: JobRun, *, counts: dict | None = None) -> None:
    now = timezone.now()
    run.status = JobRun.Status.SUCCEEDED
    run.finished_at = now
    run.heartbeat_at = now
    if counts:
        run.counts = counts
    run.save(update_fields=["status", "finished_at", "heartbeat_at", "counts"])


def job_fail(run: JobRun, *, error: str) -> None:
    now = timezone.now()
    run.status = JobRun.Status.FAILED
    run.finished_at = now
    run.error = error[:10_000]
    run.save(update_fields=["status", "finished_at", "error"])


def jobs_mark_stale(*, now=None) -> int:
    """Runs with no sign of life for a while died with their worker: say so."""
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=settings.JOBS_STALE_AFTER_MINUTES)
    return JobRun.objects.filter(status=JobRun.Status.RUNNING, heartbeat_at__lt=cutoff).update(
        status=JobRun.Status.FAILED,
        finished_at=now,
        error="Stale: the worker stopped reporting (crashed or was killed).",
    )


def jobs_prune(*, now=None) -> int:
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.JOBS_KEEP_DAYS)
    deleted, _ = JobRun.objects.filter(created_at__lt=cutoff).delete()
    return deleted
