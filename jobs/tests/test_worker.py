"""Real Celery workers, started as their own processes against the test database, on both brokers:
they run queued jobs, and a job whose worker is killed mid-run finishes once, with the right counts."""

import os
import signal
from datetime import timedelta

import pytest
from django.utils import timezone

from jobs.models import JobRun
from jobs.services import job_enqueue
from jobs.tasks import housekeeping
from jobs.tests.factories import JobRunFactory
from jobs.tests.tasks import slow_job
from jobs.tests.worker import STALE_AFTER, finished, housekeeping_restarts, kill_worker, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_real_worker_runs_a_queued_job_and_logs_it(workers):
    workers.start("worker")
    lost = JobRunFactory(
        status=JobRun.Status.RUNNING, finished_at=None, heartbeat_at=timezone.now() - timedelta(days=1),
        restarts=3, worker="gone:1:1",
    )  # fmt: skip
    run = job_enqueue(task=housekeeping)

    assert wait_for(finished(run), seconds=30), "the job did not finish within 30 s"
    assert run.status == JobRun.Status.SUCCEEDED, run.error
    assert run.counts["failed"] == 1
    lost.refresh_from_db()
    assert lost.status == JobRun.Status.FAILED  # the job's effect, made by the other process


def test_a_worker_heartbeats_its_job_through_a_long_sql_statement(workers, tmp_path):
    workers.start("worker")
    run = job_enqueue(task=slow_job, kwargs={"steps": 1, "seconds": 4, "log": str(tmp_path / "body.log")})
    assert wait_for(lambda: JobRun.objects.get(pk=run.pk).status == JobRun.Status.RUNNING, seconds=30)
    first = JobRun.objects.get(pk=run.pk).heartbeat_at

    assert wait_for(lambda: JobRun.objects.get(pk=run.pk).heartbeat_at > first + timedelta(seconds=1), seconds=3)
    run.refresh_from_db()
    assert (run.status, run.progress_done) == (JobRun.Status.RUNNING, 0)  # still inside the one statement
    assert wait_for(finished(run), seconds=30) and run.status == JobRun.Status.SUCCEEDED


def test_a_job_whose_worker_was_killed_finishes_once_on_another_worker(workers, tmp_path):
    log = tmp_path / "body.log"
    first = workers.start("first")
    run = job_enqueue(task=slow_job, kwargs={"steps": 20, "seconds": 0.3, "log": str(log)})
    assert wait_for(lambda: JobRun.objects.get(pk=run.pk).progress_done >= 3, seconds=30), "the job did not start"

    kill_worker(first)
    second = workers.start("second", pool="prefork")  # two processes: a duplicate message would run at once
    assert wait_for(housekeeping_restarts(run), seconds=STALE_AFTER + 10), "housekeeping did not restart the run"
    assert run.status in (JobRun.Status.QUEUED, JobRun.Status.RUNNING) and run.is_restarted
    slow_job.apply_async(kwargs=run.kwargs, task_id=run.task_id)  # as Redis would redeliver the lost message

    assert wait_for(finished(run), seconds=60), "the restarted job did not finish"
    assert (run.status, run.counts, run.restarts) == (JobRun.Status.SUCCEEDED, {"steps": 20}, 1)
    events = log.read_text().split("\n")
    assert [event.split()[0] for event in events if event] == ["start", "start", "done"]  # killed once, done once
    assert second.poll() is None
    assert JobRun.objects.count() == 1


def test_a_job_whose_pool_process_was_killed_is_taken_over_by_another_at_once(workers, tmp_path):
    """With acks_late and reject_on_worker_lost the worker hands the job to another pool process;
    it sees the first one dead and takes the run over without waiting for housekeeping."""
    log = tmp_path / "body.log"
    workers.start("pool", pool="prefork")
    run = job_enqueue(task=slow_job, kwargs={"steps": 10, "seconds": 0.3, "log": str(log)})
    assert wait_for(lambda: JobRun.objects.get(pk=run.pk).progress_done >= 2, seconds=30), "the job did not start"
    run.refresh_from_db()

    os.kill(int(run.worker.split(":")[1]), signal.SIGKILL)  # the pool process running the job

    assert wait_for(finished(run), seconds=30), "the job was not taken over"
    assert (run.status, run.counts, run.restarts) == (JobRun.Status.SUCCEEDED, {"steps": 10}, 1)
    assert [line.split()[0] for line in log.read_text().splitlines()] == ["start", "start", "done"]
