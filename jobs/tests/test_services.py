from datetime import timedelta

import pytest
from celery import shared_task
from django.utils import timezone

from jobs import services
from jobs.models import JobRun
from jobs.tasks import JobTask, housekeeping
from jobs.tests.factories import JobRunFactory


@shared_task(base=JobTask, bind=True, name="jobs.tests.counting")
def counting_task(self, total):
    for done in range(1, total + 1):
        self.progress(done, total)
    return {"counted": total}


@shared_task(base=JobTask, bind=True, name="jobs.tests.failing")
def failing_task(self):
    raise ValueError("the input was bad")


def test_a_job_task_logs_its_run_with_progress_and_counts(db):
    counting_task.apply(args=[3], task_id="run-1")
    run = JobRun.objects.get(task_id="run-1")
    assert run.status == JobRun.Status.SUCCEEDED
    assert run.name == "jobs.tests.counting"
    assert (run.progress_done, run.progress_total, run.progress_percent) == (3, 3, 100)
    assert run.counts == {"counted": 3}
    assert run.started_at <= run.finished_at


def test_a_failing_job_task_logs_the_error(db):
    with pytest.raises(ValueError, match="the input was bad"):
        failing_task.apply(task_id="run-2")
    run = JobRun.objects.get(task_id="run-2")
    assert run.status == JobRun.Status.FAILED
    assert "the input was bad" in run.error
    assert run.finished_at is not None


def test_a_redelivered_message_of_a_finished_run_does_not_run_the_job_again(db):
    first = counting_task.apply(args=[1], task_id="same-id")
    again = counting_task.apply(args=[2], task_id="same-id")

    run = JobRun.objects.get(task_id="same-id")
    assert run.counts == {"counted": 1}
    assert again.result == first.result == {"counted": 1}  # the recorded counts, not a second run's


def test_enqueueing_records_a_queued_run_and_sends_after_commit(db, owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run = services.job_enqueue(task=housekeeping, actor=owner)
    assert run.status == JobRun.Status.QUEUED
    assert run.triggered_by == owner
    assert run.trigger == JobRun.Trigger.USER
    assert len(callbacks) == 1  # nothing is sent before the commit
    callbacks[0]()
    run.refresh_from_db()
    assert run.status == JobRun.Status.SUCCEEDED


def test_pruning_deletes_only_old_runs(db, settings):
    settings.JOBS_KEEP_DAYS = 30
    old = JobRunFactory(created_at=timezone.now() - timedelta(days=31))
    recent = JobRunFactory(created_at=timezone.now() - timedelta(days=29))
    assert services.jobs_prune() == 1
    assert not JobRun.objects.filter(pk=old.pk).exists()
    assert JobRun.objects.filter(pk=recent.pk).exists()


@pytest.mark.parametrize(("done", "total", "percent"), [(0, None, None), (1, 3, 33), (5, 4, 100)])
def test_progress_percent(done, total, percent):
    assert JobRun(progress_done=done, progress_total=total).progress_percent == percent
