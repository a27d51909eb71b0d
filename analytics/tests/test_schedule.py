"""The nightly RFM job: its schedule, and a real worker with beat running it (CI, Redis)."""

import json

import pytest
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from analytics.models import RfmRun, RfmScore
from analytics.tasks import rfm_score
from analytics.tests.helpers import order
from analytics.tests.test_scoring import days_before
from crm_project.celery import app as celery_app
from customers.tests.factories import CustomerFactory
from jobs.models import JobRun
from jobs.tests.worker import running_worker, wait_for


@pytest.mark.django_db
def test_the_nightly_run_is_a_periodic_task_admins_can_edit():
    nightly = PeriodicTask.objects.get(name="analytics-rfm-nightly")

    assert nightly.task == rfm_score.name and nightly.task in celery_app.tasks
    assert (nightly.crontab.hour, nightly.crontab.minute) == ("2", "30")
    assert nightly.enabled
    assert json.loads(nightly.kwargs) == {}


@pytest.mark.django_db
def test_the_schedule_scores_a_day_once_even_if_beat_fires_twice():
    customer = CustomerFactory()
    order(customer, days_before(400))

    first = rfm_score.apply()
    second = rfm_score.apply()

    assert first.result["scored"] == 1
    assert second.result == {"skipped": 1}
    assert RfmRun.objects.filter(trigger=RfmRun.Trigger.SCHEDULE).count() == 1


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_beat_and_a_real_worker_run_the_scoring_job(tmp_path):
    customers = CustomerFactory.create_batch(3)
    for index, customer in enumerate(customers):
        order(customer, days_before(400 + index))
    every_second, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(name="rfm-test", task=rfm_score.name, interval=every_second, kwargs="{}")

    with running_worker(tmp_path, beat=True):
        run = wait_for(lambda: RfmRun.objects.filter(trigger=RfmRun.Trigger.SCHEDULE).first(), seconds=60)
        log = (tmp_path / "worker.log").read_text()
        assert run is not None, "beat did not run the scoring job within 60 s:\n" + log[-3000:]
        job = wait_for(
            lambda: JobRun.objects.filter(
                name=rfm_score.name, status=JobRun.Status.SUCCEEDED, counts__has_key="run"
            ).first(),
            seconds=30,
        )

    assert job is not None and job.trigger == JobRun.Trigger.SCHEDULE
    assert job.counts["run"] == run.pk and run.n_scored == 3
    assert RfmScore.objects.filter(run=run).count() == 3
    # beat fired again every second; the same day was not scored twice
    assert RfmRun.objects.filter(trigger=RfmRun.Trigger.SCHEDULE).count() == 1
