"""A real Celery worker (optionally with beat) in its own process, against Redis and the test database."""

import contextlib
import os
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.db import connection

from conftest import skip_or_fail
from crm_project.celery import app as celery_app


def wait_for(predicate, *, seconds: float, every: float = 0.2):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(every)
    return predicate()


@contextlib.contextmanager
def running_worker(tmp_path, *, beat: bool = False):
    if not settings.REDIS_URL:
        skip_or_fail("REDIS_URL is not set: the real-worker test needs a Redis broker.")
    db_name = connection.settings_dict["NAME"]
    if connection.vendor == "sqlite" and (":memory:" in str(db_name) or "mode=memory" in str(db_name)):
        skip_or_fail("the test database is in memory; a worker process cannot share it (use PostgreSQL).")
    log_path = tmp_path / "worker.log"
    log_file = log_path.open("w")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "crm_project.settings.test", "CRM_TEST_DB_NAME": str(db_name)}
    command = [sys.executable, "-m", "celery", "-A", "crm_project", "worker", "--pool=solo", "--loglevel=INFO"]
    command += ["--without-gossip", "--without-mingle", f"--hostname=test-{os.getpid()}@%h"]
    if beat:
        command += ["--beat", f"--schedule={tmp_path / 'beat-schedule'}"]
    worker = subprocess.Popen(command, cwd=settings.BASE_DIR, env=env, stdout=log_file, stderr=subprocess.STDOUT)
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
