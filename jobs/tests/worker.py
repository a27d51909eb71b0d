"""Real Celery workers (optionally with beat) in their own processes, against the test database,
on either broker: Redis (REDIS_URL) or kombu's filesystem transport (the embedded default)."""

import contextlib
import os
import signal
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.db import connection

from conftest import skip_or_fail
from crm_project.celery import app as celery_app
from crm_project.celery import ensure_broker_folders, filesystem_broker_options
from jobs import services
from jobs.models import JobRun

BROKERS = ["filesystem", "redis"]


def wait_for(predicate, *, seconds: float, every: float = 0.2):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(every)
    return predicate()


@contextlib.contextmanager
def using_broker(kind: str, tmp_path):
    """Send this process's tasks through `kind`; yields the environment a worker needs for it."""
    if kind == "redis":
        if not settings.REDIS_URL:
            skip_or_fail("REDIS_URL is not set: this real-worker test needs a Redis broker.")
        yield {}
        return
    folder = tmp_path / "broker"
    conf = celery_app.conf
    saved = conf.broker_url, conf.broker_transport_options
    _drop_connections()
    conf.broker_url, conf.broker_transport_options = "filesystem://", filesystem_broker_options(folder)
    ensure_broker_folders()
    try:
        yield {"REDIS_URL": "", "CELERY_BROKER_DIR": str(folder)}
    finally:
        _drop_connections()
        conf.broker_url, conf.broker_transport_options = saved


def start_worker(tmp_path, *, name="worker", beat=False, pool="solo", env=None) -> subprocess.Popen:
    """A worker process logging to tmp_path/<name>.log, once it answers a ping; the caller stops it."""
    db_name = connection.settings_dict["NAME"]
    if connection.vendor == "sqlite" and (":memory:" in str(db_name) or "mode=memory" in str(db_name)):
        skip_or_fail("the test database is in memory; a worker process cannot share it (use PostgreSQL).")
    log_path = tmp_path / f"{name}.log"
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "crm_project.settings.test"}
    environment |= {"CRM_TEST_DB_NAME": str(db_name), **(env or {})}
    hostname = f"{name}-{os.getpid()}@%h"
    command = [sys.executable, "-m", "celery", "-A", "crm_project", "worker", f"--pool={pool}", "--loglevel=INFO"]
    command += ["--without-gossip", "--without-mingle", f"--hostname={hostname}"]
    if pool == "prefork":
        command += ["--concurrency=2"]
    if beat:
        command += ["--beat", f"--schedule={tmp_path / 'beat-schedule'}"]
    with log_path.open("w") as log_file:
        worker = subprocess.Popen(
            command, cwd=settings.BASE_DIR, env=environment, stdout=log_file, stderr=subprocess.STDOUT
        )
    celery_app.conf.task_always_eager = False
    try:
        answered = wait_for(lambda: worker.poll() is not None or _answers(name), seconds=30)
        if worker.poll() is not None or not answered:
            pytest.fail(f"The Celery worker {name} did not answer a ping within 30 s:\n" + log_path.read_text())
    except BaseException:
        stop_worker(worker)
        raise
    return worker


def stop_worker(worker: subprocess.Popen) -> None:
    """Stop it as `make run` does (TERM: finish the current job, then exit), or kill it after 30 s."""
    if worker.poll() is None:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
    celery_app.conf.task_always_eager = True


def kill_worker(worker: subprocess.Popen) -> None:
    """Kill it as the kernel's OOM killer or a power cut would: no chance to clean up."""
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=10)


# --- fixtures for tests that kill workers: import `broker` and `workers` into the test module ---
HEARTBEAT = 0.3  # seconds, in the test workers
STALE_AFTER = 2  # seconds without a heartbeat before housekeeping sends a run again


@pytest.fixture(params=BROKERS)
def broker(request, tmp_path, settings):
    """Each test runs once per broker; yields the environment its workers need."""
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
    """A wait_for predicate: the run succeeded or failed."""

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


@contextlib.contextmanager
def running_worker(tmp_path, *, beat: bool = False, broker: str = "redis", env=None):
    with using_broker(broker, tmp_path) as broker_env:
        worker = start_worker(tmp_path, beat=beat, env={**broker_env, **(env or {})})
        try:
            yield worker
        finally:
            stop_worker(worker)


def _answers(name: str) -> bool:
    replies = celery_app.control.ping(timeout=0.5)
    return any(host.startswith(f"{name}-{os.getpid()}@") for reply in replies for host in reply)


def _drop_connections() -> None:
    """Forget this app's broker pools, so the next send uses the broker now configured
    (kombu keeps one pool per broker URL for the process; those stay open)."""
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    celery_app.control.mailbox.__dict__.pop("producer_pool", None)  # as Celery does after a fork
