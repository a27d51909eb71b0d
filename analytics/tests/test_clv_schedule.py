"""The CLV fit job: its weekly schedule, "Run now" in the job log, a failed fit, and a real worker with beat."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from analytics import btyd
from analytics.db import crm_today
from analytics.models import ClvRun, ClvScore
from analytics.tasks import clv_fit
from analytics.tests.clv_helpers import simulated_customers, stuck_optimiser
from crm_project.celery import app as celery_app
from jobs.models import JobRun
from jobs.selectors import jobrun_error_message
from jobs.tests.worker import running_worker, wait_for


@pytest.fixture
def buyers(db):
    return simulated_customers(200, end=crm_today())


@pytest.mark.django_db
def test_the_weekly_fit_is_a_periodic_task_admins_can_edit():
    weekly = PeriodicTask.objects.get(name="analytics-clv-weekly")

    assert weekly.task == clv_fit.name and weekly.task in celery_app.tasks
    crontab = weekly.crontab
    assert (crontab.day_of_week, crontab.hour, crontab.minute) == ("1", "3", "30")  # Mondays 03:30
    assert weekly.enabled
    assert json.loads(weekly.kwargs) == {}


def test_the_job_fits_to_today_and_reports_the_run(buyers):
    result = clv_fit.apply()

    job = JobRun.objects.get(name=clv_fit.name)
    run = ClvRun.objects.get()
    assert job.status == JobRun.Status.SUCCEEDED
    assert result.result == job.counts == {"run": run.pk, "customers": 200, "repeat": run.n_repeat}
    assert (run.calibration_end, run.trigger, run.unit) == (crm_today(), ClvRun.Trigger.SCHEDULE, "weeks")
    assert job.progress_done == job.progress_total == 5


def test_the_job_passes_its_arguments_to_the_fit(buyers):
    end = crm_today() - timedelta(days=30)

    clv_fit.apply(
        kwargs={
            "calibration_end": end.isoformat(),
            "holdout_end": crm_today().isoformat(),
            "unit": "days",
            "horizon": 30,
        }
    )

    run = ClvRun.objects.get()
    assert (run.calibration_end, run.holdout_end, run.unit, run.horizon) == (end, crm_today(), "days", 30)
    assert run.holdout["days"] == 30


def test_the_schedule_fits_a_day_once_even_if_beat_fires_twice(buyers):
    clv_fit.apply()
    second = clv_fit.apply()

    assert second.result == {"skipped": 1}
    assert ClvRun.objects.count() == 1


def test_a_fit_that_does_not_converge_fails_the_job_with_the_reason(buyers, monkeypatch):
    monkeypatch.setattr(btyd, "minimize", stuck_optimiser)

    with pytest.raises(btyd.FitError):  # eager tasks propagate errors in tests; a worker logs them
        clv_fit.apply()

    job = JobRun.objects.get(name=clv_fit.name)
    assert job.status == JobRun.Status.FAILED
    assert (
        jobrun_error_message(job) == "The BG/NBD fit did not converge: Maximum number of iterations has been exceeded."
    )
    assert not ClvRun.objects.exists()


@pytest.mark.django_db
def test_managers_can_run_the_fit_now_from_the_job_log(buyers, client_for, manager, django_capture_on_commit_callbacks):
    assert "Run now: Customer lifetime value fit" in client_for(manager).get(reverse("jobs:list")).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(manager).post(reverse("jobs:run-now", args=[clv_fit.name]))

    assert response.status_code == 302
    job = JobRun.objects.get(name=clv_fit.name)
    run = ClvRun.objects.get()
    assert job.status == JobRun.Status.SUCCEEDED and job.triggered_by == manager
    assert (run.trigger, run.triggered_by) == (ClvRun.Trigger.USER, manager)


def test_reps_cannot_run_the_fit(buyers, client_for, owner):
    assert client_for(owner).post(reverse("jobs:run-now", args=[clv_fit.name])).status_code == 403
    assert not ClvRun.objects.exists()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_beat_and_a_real_worker_run_the_fit(tmp_path):
    simulated_customers(200, end=crm_today())
    every_second, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(name="clv-test", task=clv_fit.name, interval=every_second, kwargs="{}")

    with running_worker(tmp_path, beat=True):
        run = wait_for(lambda: ClvRun.objects.filter(trigger=ClvRun.Trigger.SCHEDULE).first(), seconds=60)
        log = (tmp_path / "worker.log").read_text()
        assert run is not None, "beat did not run the CLV fit within 60 s:\n" + log[-3000:]
        job = wait_for(
            lambda: JobRun.objects.filter(
                name=clv_fit.name, status=JobRun.Status.SUCCEEDED, counts__has_key="run"
            ).first(),
            seconds=30,
        )

    assert job is not None and job.trigger == JobRun.Trigger.SCHEDULE
    assert job.counts["run"] == run.pk and run.n_customers == 200
    assert ClvScore.objects.filter(run=run).count() == 200
    assert ClvRun.objects.filter(trigger=ClvRun.Trigger.SCHEDULE).count() == 1
