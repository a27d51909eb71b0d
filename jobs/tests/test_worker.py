"""A real Celery worker, started as its own process against Redis and the test database."""

import os
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from conftest import skip_or_fail
from crm_project.celery import app as celery_app
from jobs.models import JobRun
from jobs.services import job_enqueue
from jobs.tasks import housekeeping
from jobs.tests.factories import JobRunFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def wait_for(predicate, *, seconds: float, every: float = 0.2):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(every)
    return predicate()


@pytest.fixture
def real_worker(tmp_path):
    if not settings.REDIS_URL:
        skip_or_fail("REDIS_URL is not set: the real-worker test needs a Redis broker.")
    db_name = connection.settings_dict["NAME"]
    if connection.vendor == "sqlite" and (":memory:" in str(db_name) or "mode=memory" in str(db_name)):
        skip_or_fail("the test database is in memory; a worker process cannot share it (use PostgreSQL).")
    log_path = tmp_path / "worker.log"
    log_file = log_path.open("w")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "crm_project.settings.test", "CRM_TEST_DB_NAME": str(db_name)}
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "crm_project",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            f"--hostname=test-{os.getpid()}@%h",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    celery_app.conf.task_always_eager = False
    try:
        if not wait_for(lambda: celery_app.control.ping(timeout=0.5), seconds=30):
            worker.terminate()
            pytest.fail("The Celery worker did not answer a ping within 30 s:\n" + log_path.read_text())
        yield worker
    finally:
        celery_app.conf.task_always_eager = True
        worker.terminate()
        worker.wait(timeout=30)
        log_file.close()


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
