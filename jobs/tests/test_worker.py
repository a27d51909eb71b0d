"""A real Celery worker, started as its own process against Redis and the test database."""

from datetime import timedelta

import pytest
from django.utils import timezone

from jobs.models import JobRun
from jobs.services import job_enqueue
from jobs.tasks import housekeeping
from jobs.tests.factories import JobRunFactory
from jobs.tests.worker import running_worker, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def real_worker(tmp_path):
    with running_worker(tmp_path) as worker:
        yield worker


def test_a_real_worker_runs_a_queued_job_and_logs_it(real_worker):
    dead = JobRunFactory(
        status=JobRun.Status.RUNNING, finished_at=None, heartbeat_at=timezone.now() - timedelta(days=1)
    )
    run = job_enqueue(task=housekeeping)

    def finished():
        run.refresh_from_db()
        return run.status in (JobRun.Status.SUCCEEDED, JobRun.Status.FAILED)

    assert wait_for(finished, seconds=30), "the job did not finish within 30 s"
    assert run.status == JobRun.Status.SUCCEEDED, run.error
    assert run.counts["stale"] == 1
    dead.refresh_from_db()
    assert dead.status == JobRun.Status.FAILED  # the job's effect, made by the other process
