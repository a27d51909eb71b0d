"""Writes to the job log. Tasks report through these, never by saving JobRun.

A run belongs to the worker process that claimed it (`JobRun.worker`): only that
process reports on it, so a job sent again after its worker was presumed dead
never has two processes writing its outcome.
"""

import logging
import os
import socket
import uuid
from datetime import timedelta

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import JobRun

logger = logging.getLogger(__name__)

FINISHED = (JobRun.Status.SUCCEEDED, JobRun.Status.FAILED)
CLAIM_FIELDS = ["status", "worker", "error", "started_at", "heartbeat_at", "args", "kwargs"]


class JobSuperseded(Exception):
    """This process no longer owns the run: another worker took it over, or housekeeping ended it."""


def job_enqueue(*, task, actor=None, kwargs: dict | None = None) -> JobRun:
    """Record a queued run and send the task once the transaction commits.

    `task` is a task, or its registered name: services name the task they need
    rather than import their app's tasks module (which imports them).
    The arguments (ids and JSON values) are kept on the run, so that it can be
    sent again if its worker dies."""
    if isinstance(task, str):
        task = registered_task(task)
    task_id = str(uuid.uuid4())
    run = JobRun.objects.create(
        name=task.name,
        task_id=task_id,
        trigger=JobRun.Trigger.USER if actor else JobRun.Trigger.COMMAND,
        triggered_by=actor,
        kwargs=kwargs or {},
    )
    transaction.on_commit(lambda: task.apply_async(kwargs=kwargs or {}, task_id=task_id))
    return run


def registered_task(name: str):
    """The task registered under `name`, importing every app's tasks module the
    first time (the worker does so at start; a web process only when asked)."""
    if name not in current_app.tasks:
        current_app.loader.import_default_modules()
    return current_app.tasks[name]


@transaction.atomic
def job_start(*, name: str, task_id: str | None, args=(), kwargs=None, worker: str = "") -> JobRun | None:
    """Claim the run for this task id for `worker` and mark it running (a retry reuses its row).

    None means "do not run": the run already finished, or another live worker is
    running it (a redelivered or re-sent message met the job still in progress)."""
    now = timezone.now()
    defaults = {"name": name, "args": list(args), "kwargs": kwargs or {}}
    run, _ = JobRun.objects.select_for_update().get_or_create(task_id=task_id, defaults=defaults)
    if run.status in FINISHED:
        return None
    if run.worker and run.worker != worker and _claimant_alive(run, now=now):
        logger.info("Job %s (%s) is still running in %s; not starting it twice.", name, task_id, run.worker)
        return None
    if run.status == JobRun.Status.RUNNING and run.worker != worker:
        run.restarts += 1  # its worker died and the broker delivered it again
        run.progress_done = 0
    run.status, run.worker, run.error = JobRun.Status.RUNNING, worker, ""
    run.started_at, run.heartbeat_at = run.started_at or now, now
    run.args, run.kwargs = list(args), kwargs or {}
    run.save(update_fields=[*CLAIM_FIELDS, "restarts", "progress_done"])
    return run


def job_progress(run: JobRun, *, done: int, total: int | None = None) -> None:
    run.progress_done = done
    if total is not None:
        run.progress_total = total
    run.heartbeat_at = timezone.now()
    _save_owned(run, ["progress_done", "progress_total", "heartbeat_at"])


def job_heartbeat(*, run_id: int, worker: str) -> bool:
    """A sign of life from the run's worker; False once the run is no longer this worker's.

    A beat also takes back a run that housekeeping re-queued too early (its worker
    was only slow), so the re-sent message finds it running and leaves it be."""
    return bool(
        JobRun.objects.filter(
            pk=run_id, worker=worker, status__in=[JobRun.Status.RUNNING, JobRun.Status.QUEUED]
        ).update(heartbeat_at=timezone.now(), status=JobRun.Status.RUNNING)
    )


def job_retry_wait(run: JobRun) -> None:
    """The task asked Celery to retry it later: any worker may take the retry.

    (Inline, Celery runs the retry before this is called; the run has finished then.)"""
    JobRun.objects.filter(pk=run.pk, worker=run.worker, status=JobRun.Status.RUNNING).update(
        status=JobRun.Status.QUEUED, worker=""
    )


def job_succeed(run: JobRun, *, counts: dict | None = None) -> None:
    now = timezone.now()
    run.status = JobRun.Status.SUCCEEDED
    run.finished_at = now
    run.heartbeat_at = now
    if counts:
        run.counts = counts
    _save_owned(run, ["status", "finished_at", "heartbeat_at", "counts"])


def job_fail(run: JobRun, *, error: str) -> None:
    now = timezone.now()
    run.status = JobRun.Status.FAILED
    run.finished_at = now
    run.error = error[:10_000]
    _save_owned(run, ["status", "finished_at", "error"])


def jobs_restart_stale(*, now=None) -> dict[str, int]:
    """Runs with no sign of life lost their worker: send them again, up to
    JOBS_MAX_RESTARTS times, then mark them failed. Returns {restarted, failed}."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.JOBS_STALE_AFTER_SECONDS)
    outcome = {"restarted": 0, "failed": 0}
    stale = JobRun.objects.filter(status=JobRun.Status.RUNNING, heartbeat_at__lt=cutoff)
    for run_id in stale.values_list("pk", flat=True):
        result = _restart_or_fail(run_id=run_id, cutoff=cutoff, now=now)
        if result:
            outcome[result] += 1
    return outcome


def jobs_prune(*, now=None) -> int:
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.JOBS_KEEP_DAYS)
    deleted, _ = JobRun.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def worker_identity() -> str:
    """This process, as "host:pid:start" (the start tells a reused pid from the original)."""
    return f"{socket.gethostname()}:{os.getpid()}:{_process_start(os.getpid())}"


# --- helpers ---------------------------------------------------------------------------------
def _save_owned(run: JobRun, fields: list[str]) -> None:
    """Save the fields only while the run is still this worker's, else raise JobSuperseded
    (inside an import's transaction, that rolls the import back)."""
    owned = JobRun.objects.filter(pk=run.pk, worker=run.worker)
    if not owned.update(**{field: getattr(run, field) for field in fields}):
        raise JobSuperseded(f"Job run {run.pk} is no longer run by {run.worker or 'this process'}.")


@transaction.atomic
def _restart_or_fail(*, run_id: int, cutoff, now) -> str | None:
    run = JobRun.objects.select_for_update().filter(pk=run_id).first()
    if run is None or run.status != JobRun.Status.RUNNING or run.heartbeat_at >= cutoff:
        return None  # it finished or beat again meanwhile
    if run.restarts >= settings.JOBS_MAX_RESTARTS:
        run.status, run.finished_at = JobRun.Status.FAILED, now
        run.error = (
            f"The worker stopped while running this job (crashed or was killed) {run.restarts + 1} times; "
            f"it was restarted {run.restarts} times (JOBS_MAX_RESTARTS) and is not restarted again."
        )
        run.save(update_fields=["status", "finished_at", "error"])
        return "failed"
    # The silent worker stays named on the run, with its last heartbeat: if it was
    # only slow, its next beat takes the run back and the message sent now finds
    # it running (see job_heartbeat and _claimant_alive).
    run.status, run.restarts, run.progress_done = JobRun.Status.QUEUED, run.restarts + 1, 0
    run.save(update_fields=["status", "restarts", "progress_done"])
    logger.warning("Job %s (%s) lost its worker %s; sending it again.", run.name, run.task_id, run.worker)
    args, kwargs, name, task_id = run.args, run.kwargs, run.name, run.task_id
    # By name: a worker has every task; elsewhere Celery sends it by name alone.
    transaction.on_commit(lambda: current_app.signature(name, args=args, kwargs=kwargs).apply_async(task_id=task_id))
    return "restarted"


def _claimant_alive(run: JobRun, *, now) -> bool:
    """Whether the worker named on the run is still running it: its heartbeat is fresh
    (a running job always beats) and, on this host, its process still exists (a dead
    pool process is noticed at once, before its heartbeat goes stale)."""
    fresh = run.heartbeat_at is not None and run.heartbeat_at >= now - timedelta(
        seconds=settings.JOBS_STALE_AFTER_SECONDS
    )
    host, _, rest = run.worker.partition(":")
    pid, _, start = rest.partition(":")
    if fresh and host == socket.gethostname() and pid.isdigit():
        return bool(start) and _process_start(int(pid)) == start
    return fresh


def _process_start(pid: int) -> str:
    """The process's start time in clock ticks since boot (Linux), "" when it does not exist."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            # the command name (field 2) may hold spaces: count fields after its ")"
            return stat.read().rsplit(")", 1)[1].split()[19]
    except FileNotFoundError:
        return ""
    except (OSError, IndexError):  # no /proc (not Linux): fall back on "is there such a pid"
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return ""
        except PermissionError:
            pass
        return "?"
