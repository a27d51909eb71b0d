"""Real Celery workers, started as their own processes against the test database, on both brokers:
they run queued jobs, and a job whose worker is killed mid-run finishes once, with the right counts."""

import os
import signal
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from jobs import services
from jobs.models import JobRun
from jobs.services import job_enqueue
from jobs.tasks import housekeeping
from jobs.tests.factories import JobRunFactory
from jobs.tests.tasks import slow_job
from jobs.tests.worker import BROKERS, kill_worker, start_worker, stop_worker, using_broker, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

HEARTBEAT = 0.3  # seconds, in the test workers
STALE_AFTER = 2  # seconds without a heartbeat before housekeeping sends a run again


@pytest.fixture(params=BROKERS)
def broker(request, tmp_path, settings):
    settings.JOBS_STALE_AFTER_SECONDS = STALE_AFTER
    settings.MEDIA_ROOT = tmp_path / "media"
    with using_broker(request.param, tmp_path) as env:
        env |= {"JOBS_HEARTBEAT_SECONDS": HEARTBEAT, "JOBS_STALE_AFTER_SECONDS": STALE_AFTER}
        yield {key: str(value) for key, value in (env | {"MEDIA_ROOT": settings.MEDIA_ROOT}).items()}


@pytest.fixture
def workers(tmp_path, broker):
    """Start workers by name with `workers.start(name, pool=...)`; all are stopped at the end."""

    class Workers(list):
        def start(self, name, **options):
            self.append(start_worker(tmp_path, name=name, env=broker, **options))
            return self[-1]

    started = Workers()
    yield started
    for worker in started:
        stop_worker(worker)


def finished(run):
    def check():
        run.refresh_from_db()
        return run.status in (JobRun.Status.SUCCEEDED, JobRun.Status.FAILED)

    return check


def housekeeping_restarts(run):
    """What beat does every minute: restart runs whose heartbeat stopped, until it restarts this one."""

    def check():
        services.jobs_restart_stale()
        run.refresh_from_db()
        return run.restarts > 0

    return check


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


# --- the customer import, killed mid-run ------------------------------------------------------------
# Kept apart so that it follows the import's own changes: what starts a large import
# as a job, and what it should have written.
def start_customer_import(*, rows: int, actor) -> JobRun:
    from customers.services import imports

    lines = ["First name,Last name,E-mail,ID"] + [f"Ada,Person{n},p{n}@example.com,R-{n}" for n in range(rows)]
    upload = SimpleUploadedFile("people.csv", "\n".join(lines).encode())
    stored = imports.import_file_store(upload=upload)
    mapping = imports.import_mapping_guess(stored.table.headers, [])
    return imports.customers_import_enqueue(
        stored_name=stored.name, filename="people.csv", mapping=mapping, skip_errors=False, actor=actor
    )


def imported_customers() -> int:
    from customers.models import Customer

    return Customer.objects.count()


def test_a_customer_import_whose_worker_was_killed_finishes_with_the_right_counts(workers, owner):
    rows = 30_000
    first = workers.start("first")
    run = start_customer_import(rows=rows, actor=owner)
    assert wait_for(lambda: JobRun.objects.get(pk=run.pk).progress_done > 0, seconds=60, every=0.05)

    kill_worker(first)
    run.refresh_from_db()
    assert run.progress_done < rows and imported_customers() == 0, "killed too late: the import had finished"
    workers.start("second")
    assert wait_for(housekeeping_restarts(run), seconds=STALE_AFTER + 10)

    assert wait_for(finished(run), seconds=180), "the restarted import did not finish"
    assert run.status == JobRun.Status.SUCCEEDED, run.error
    assert (run.counts, run.restarts) == ({"created": rows, "updated": 0, "skipped": 0}, 1)
    assert imported_customers() == rows


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
