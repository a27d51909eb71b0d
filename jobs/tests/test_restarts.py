"""A job whose worker died is sent again by housekeeping, never run twice at once, and failed past the limit."""

import os
import socket
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from celery import shared_task
from celery.exceptions import Retry
from django.conf import settings
from django.utils import timezone

from jobs import services
from jobs.heartbeat import Heartbeat
from jobs.models import JobRun
from jobs.tasks import JobTask, housekeeping
from jobs.tests.factories import JobRunFactory

BODY_RUNS: list[dict] = []  # what the test task's body saw, one entry per time it ran


@shared_task(base=JobTask, bind=True, name="jobs.tests.recording")
def recording_task(self, customer_id: int, *, label: str = ""):
    BODY_RUNS.append({"customer_id": customer_id, "label": label, "restarts": self.job_run.restarts})
    self.progress(1, 1)
    return {"done": customer_id}


@shared_task(base=JobTask, bind=True, name="jobs.tests.taken_over")
def taken_over_task(self):
    """Another worker takes the run over while this one is busy; this one then reports progress."""
    JobRun.objects.filter(pk=self.job_run.pk).update(worker="elsewhere:1:1", heartbeat_at=timezone.now())
    self.progress(1, 2)
    BODY_RUNS.append({"after": "progress"})  # never reached
    return {"done": 1}


@shared_task(base=JobTask, bind=True, name="jobs.tests.retrying", max_retries=1)
def retrying_task(self):
    BODY_RUNS.append({"worker": self.job_run.worker})
    if len(BODY_RUNS) == 1:
        raise self.retry(countdown=0)
    return {"tries": len(BODY_RUNS)}


@pytest.fixture(autouse=True)
def _no_body_runs_yet():
    BODY_RUNS.clear()


def stale_run(**fields):
    """A run whose worker (on another host) stopped beating long ago."""
    beat = timezone.now() - timedelta(seconds=settings.JOBS_STALE_AFTER_SECONDS + 5)
    defaults = {"name": recording_task.name, "args": [7], "kwargs": {"label": "nightly"}, "worker": "gone:42:1"}
    defaults |= {"status": JobRun.Status.RUNNING, "finished_at": None, "heartbeat_at": beat, "progress_done": 3}
    return JobRunFactory(**(defaults | fields))


def this_host(pid: int) -> str:
    return f"{socket.gethostname()}:{pid}:{services._process_start(pid)}"


# --- what a run keeps ------------------------------------------------------------------------
def test_enqueueing_keeps_the_tasks_arguments_for_a_restart(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        run = services.job_enqueue(task=recording_task, kwargs={"customer_id": 3, "label": "x"})
    run.refresh_from_db()
    assert (run.args, run.kwargs) == ([], {"customer_id": 3, "label": "x"})


def test_a_scheduled_run_keeps_the_arguments_beat_sent(db):
    recording_task.apply(args=[5], kwargs={"label": "beat"}, task_id="beat-1")
    run = JobRun.objects.get(task_id="beat-1")
    assert (run.args, run.kwargs, run.restarts) == ([5], {"label": "beat"}, 0)


# --- housekeeping ------------------------------------------------------------------------------
def test_housekeeping_sends_a_run_whose_heartbeat_stopped_again_and_it_finishes_in_the_same_row(
    db, django_capture_on_commit_callbacks
):
    run = stale_run(task_id="lost-1")

    with django_capture_on_commit_callbacks(execute=True):
        result = housekeeping.apply().result

    assert result["restarted"] == 1 and result["failed"] == 0
    run.refresh_from_db()
    assert BODY_RUNS == [{"customer_id": 7, "label": "nightly", "restarts": 1}]
    assert (run.status, run.counts, run.restarts) == (JobRun.Status.SUCCEEDED, {"done": 7}, 1)
    assert JobRun.objects.filter(name=recording_task.name).count() == 1


def test_a_run_sent_again_waits_as_retrying_after_a_worker_stopped(db, django_capture_on_commit_callbacks):
    run = stale_run()

    with django_capture_on_commit_callbacks(execute=False) as sends:
        assert services.jobs_restart_stale() == {"restarted": 1, "failed": 0}

    run.refresh_from_db()
    assert len(sends) == 1
    assert (run.status, run.restarts, run.progress_done) == (JobRun.Status.QUEUED, 1, 0)
    assert run.is_restarted and run.status_label == "Retrying after a worker stopped"


def test_a_run_with_a_recent_heartbeat_is_left_alone(db, django_capture_on_commit_callbacks):
    run = stale_run(heartbeat_at=timezone.now() - timedelta(seconds=settings.JOBS_STALE_AFTER_SECONDS - 5))

    with django_capture_on_commit_callbacks(execute=False) as sends:
        assert services.jobs_restart_stale() == {"restarted": 0, "failed": 0}

    run.refresh_from_db()
    assert (run.status, run.restarts, sends) == (JobRun.Status.RUNNING, 0, [])


def test_past_the_restart_limit_a_run_is_failed_with_the_reason(db, settings, django_capture_on_commit_callbacks):
    settings.JOBS_MAX_RESTARTS = 3
    run = stale_run(restarts=3)

    with django_capture_on_commit_callbacks(execute=False) as sends:
        assert services.jobs_restart_stale() == {"restarted": 0, "failed": 1}

    run.refresh_from_db()
    assert sends == []
    assert run.status == JobRun.Status.FAILED and run.finished_at is not None
    assert "The worker stopped while running this job (crashed or was killed) 4 times" in run.error
    assert "not restarted again" in run.error


def test_the_restart_limit_counts_every_restart(db, settings, django_capture_on_commit_callbacks):
    settings.JOBS_MAX_RESTARTS = 2
    run = stale_run()
    for expected in (1, 2):
        with django_capture_on_commit_callbacks(execute=False):
            services.jobs_restart_stale()
        run.refresh_from_db()
        assert run.restarts == expected
        JobRun.objects.filter(pk=run.pk).update(status=JobRun.Status.RUNNING, heartbeat_at=stale_run().heartbeat_at)
    services.jobs_restart_stale()
    run.refresh_from_db()
    assert run.status == JobRun.Status.FAILED


def test_queued_and_finished_runs_are_not_restarted(db, django_capture_on_commit_callbacks):
    stale_run(status=JobRun.Status.QUEUED)
    stale_run(status=JobRun.Status.SUCCEEDED)
    with django_capture_on_commit_callbacks(execute=False) as sends:
        assert services.jobs_restart_stale() == {"restarted": 0, "failed": 0}
    assert sends == []


def test_housekeeping_runs_every_minute_on_beat():
    entry = settings.CELERY_BEAT_SCHEDULE["jobs-housekeeping"]
    assert (entry["task"], entry["schedule"]) == (housekeeping.name, 60)


# --- never twice at once ----------------------------------------------------------------------
def test_a_message_for_a_run_another_live_worker_runs_does_not_start_it_twice(db):
    run = stale_run(task_id="busy-1", heartbeat_at=timezone.now(), worker="other-host:7:99")

    result = recording_task.apply(args=[7], task_id="busy-1")

    run.refresh_from_db()
    assert BODY_RUNS == []
    assert result.result == {}  # nothing recorded yet: the other worker reports the counts
    assert (run.status, run.worker, run.progress_done) == (JobRun.Status.RUNNING, "other-host:7:99", 3)


def test_a_run_whose_worker_on_this_host_lives_and_beats_is_left_to_it(db):
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        run = stale_run(task_id="busy-2", heartbeat_at=timezone.now(), worker=this_host(alive.pid))
        recording_task.apply(args=[7], task_id="busy-2")
    finally:
        alive.kill()
        alive.wait()
    run.refresh_from_db()
    assert BODY_RUNS == []
    assert (run.status, run.restarts) == (JobRun.Status.RUNNING, 0)


def test_a_run_whose_worker_on_this_host_lives_but_stopped_beating_is_taken_over(db):
    """A live process whose heartbeat stopped is not running the job (say its outcome could not be saved)."""
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        run = stale_run(task_id="idle-1", status=JobRun.Status.QUEUED, worker=this_host(alive.pid), restarts=1)
        recording_task.apply(args=[7], task_id="idle-1")
    finally:
        alive.kill()
        alive.wait()
    run.refresh_from_db()
    assert BODY_RUNS == [{"customer_id": 7, "label": "", "restarts": 1}]
    assert (run.status, run.restarts) == (JobRun.Status.SUCCEEDED, 1)


def test_a_redelivered_run_whose_worker_on_this_host_died_is_taken_over_at_once(db):
    """Redis redelivers at once when a prefork child dies; its heartbeat is still fresh."""
    dead = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    worker = this_host(dead.pid)
    dead.kill()
    dead.wait()
    run = stale_run(task_id="died-1", heartbeat_at=timezone.now(), worker=worker)

    recording_task.apply(args=[7], kwargs={"label": "again"}, task_id="died-1")

    run.refresh_from_db()
    assert BODY_RUNS == [{"customer_id": 7, "label": "again", "restarts": 1}]
    assert (run.status, run.restarts, run.counts) == (JobRun.Status.SUCCEEDED, 1, {"done": 7})
    assert run.worker == services.worker_identity()


def test_a_worker_whose_run_was_taken_over_stops_without_reporting(db):
    taken_over_task.apply(task_id="taken-1")

    run = JobRun.objects.get(task_id="taken-1")
    assert BODY_RUNS == []
    assert (run.status, run.worker, run.progress_done, run.counts) == (JobRun.Status.RUNNING, "elsewhere:1:1", 0, {})


def test_a_celery_retry_reuses_the_run_and_leaves_it_to_whichever_worker_takes_it(db):
    with pytest.raises(Retry):
        retrying_task.apply(task_id="retry-1")
    run = JobRun.objects.get(task_id="retry-1")
    assert (run.status, run.worker) == (JobRun.Status.QUEUED, "")

    retrying_task.apply(task_id="retry-1")  # the retry's message

    run.refresh_from_db()
    assert (run.status, run.counts, run.restarts) == (JobRun.Status.SUCCEEDED, {"tries": 2}, 0)


# --- the heartbeat ------------------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_beats_while_the_job_is_busy_without_reporting_progress():
    started = timezone.now() - timedelta(minutes=5)
    run = stale_run(heartbeat_at=started, worker=services.worker_identity())

    heartbeat = Heartbeat(run_id=run.pk, worker=run.worker, every=0.05).start()
    time.sleep(0.5)  # the job's body, busy elsewhere (a long SQL statement)
    heartbeat.stop()

    run.refresh_from_db()
    assert run.heartbeat_at > started + timedelta(minutes=4)


@pytest.mark.django_db(transaction=True)
def test_a_heartbeat_takes_back_a_run_requeued_while_its_worker_lived():
    run = stale_run(status=JobRun.Status.QUEUED, restarts=1, worker=services.worker_identity())
    assert services.job_heartbeat(run_id=run.pk, worker=run.worker)
    run.refresh_from_db()
    assert run.status == JobRun.Status.RUNNING


@pytest.mark.django_db(transaction=True)
def test_a_heartbeat_stops_once_another_worker_owns_the_run():
    run = stale_run(heartbeat_at=timezone.now(), worker="elsewhere:1:1")
    heartbeat = Heartbeat(run_id=run.pk, worker=services.worker_identity(), every=0.01).start()
    heartbeat._thread.join(timeout=5)
    assert not heartbeat._thread.is_alive()
    run.refresh_from_db()
    assert run.worker == "elsewhere:1:1"


# --- the Redis broker ------------------------------------------------------------------------
def test_with_redis_an_unacknowledged_job_returns_only_after_the_longest_time_limit(tmp_path):
    """Redis hands a job whose worker vanished to another worker after visibility_timeout;
    any sooner and a job still running would run twice."""
    code = "from django.conf import settings as s; print(s.CELERY_BROKER_TRANSPORT_OPTIONS['visibility_timeout'])"
    env = {**os.environ, "REDIS_URL": "redis://127.0.0.1:6379/15", "CELERY_TASK_TIME_LIMIT": "5400"}
    env["DJANGO_SETTINGS_MODULE"] = "crm_project.settings.test"
    out = subprocess.run(  # settings are read once per process
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert int(out.stdout.split()[-1]) > 5400
