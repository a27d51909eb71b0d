import pytest
from django.http import Http404
from django.test import override_settings
from django.urls import reverse

from jobs.models import JobRun
from jobs.selectors import jobrun_get_for_user, jobrun_list_for_user
from jobs.tests.factories import JobRunFactory


def test_managers_see_the_job_log(client_for, manager, db):
    JobRunFactory(name="jobs.housekeeping", counts={"stale": 2})
    response = client_for(manager).get(reverse("jobs:list"))
    content = response.content.decode()
    assert "jobs.housekeeping" in content
    assert "stale: 2" in content


def test_sales_reps_and_agents_may_not_see_the_job_log(client_for, owner, agent):
    assert client_for(owner).get(reverse("jobs:list")).status_code == 403
    assert client_for(agent).get(reverse("jobs:list")).status_code == 403


def test_anonymous_users_are_sent_to_log_in(client, db):
    response = client.get(reverse("jobs:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_job_log_filters_by_status(client_for, manager):
    JobRunFactory(name="ok-job", status=JobRun.Status.SUCCEEDED)
    JobRunFactory(name="broken-job", status=JobRun.Status.FAILED, error="boom")
    response = client_for(manager).get(reverse("jobs:list"), {"status": "failed"})
    rows = list(response.context["table"].page.object_list)
    assert [row.record.name for row in rows] == ["broken-job"]


def test_an_htmx_request_gets_only_the_results_block(client_for, manager):
    JobRunFactory(name="ok-job")
    response = client_for(manager).get(reverse("jobs:list"), headers={"HX-Request": "true"})
    content = response.content.decode()
    assert content.lstrip().startswith('<div id="list-results"')
    assert "<html" not in content


def test_the_job_log_query_count_does_not_grow_with_rows(
    client_for, manager, owner, django_assert_num_queries, list_count_queries
):
    client = client_for(manager)
    JobRunFactory.create_batch(3, triggered_by=owner)
    client.get(reverse("jobs:list"))  # the saved views and the teams to share with, read once into the cache
    # session, user, roles, the total (list_count_queries), page (with its users joined), team ids never needed
    # (the saved views and the teams to share with come from the cache: crm_project/fragments.py)
    with django_assert_num_queries(4 + list_count_queries):
        client.get(reverse("jobs:list"))
    JobRunFactory.create_batch(30, triggered_by=owner)
    with django_assert_num_queries(4 + list_count_queries):
        response = client.get(reverse("jobs:list"))
    assert len(response.context["table"].page.object_list) == 25


def test_run_now_queues_the_job_for_the_manager(client_for, manager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(manager).post(reverse("jobs:run-now", args=["jobs.housekeeping"]))
    assert response.status_code == 302
    run = JobRun.objects.get(triggered_by=manager)
    assert run.status == JobRun.Status.SUCCEEDED


def test_run_now_is_refused_to_reps_and_unknown_jobs(client_for, owner, manager):
    assert client_for(owner).post(reverse("jobs:run-now", args=["jobs.housekeeping"])).status_code == 403
    assert client_for(manager).post(reverse("jobs:run-now", args=["os.system"])).status_code == 404
    assert not JobRun.objects.exists()


def test_a_job_run_is_visible_to_whoever_started_it_their_manager_and_admins(
    owner, teammate, outsider, manager, admin_user
):
    run = JobRunFactory(name="customers.import_file", triggered_by=owner)
    for reader in (owner, manager, admin_user):
        assert jobrun_get_for_user(user=reader, pk=run.pk, name="customers.import_file") == run
    for stranger in (teammate, outsider):
        with pytest.raises(Http404):
            jobrun_get_for_user(user=stranger, pk=run.pk, name="customers.import_file")
    with pytest.raises(Http404):
        jobrun_get_for_user(user=owner, pk=run.pk, name="another.job")


def test_a_manager_cannot_read_another_teams_import_errors(client_for, outsider, manager):
    run = JobRunFactory(name="customers.import_file", triggered_by=outsider, error="ValueError: row 7 is bad")
    with pytest.raises(Http404):
        jobrun_get_for_user(user=manager, pk=run.pk, name="customers.import_file")
    content = client_for(manager).get(reverse("jobs:list")).content.decode()
    assert "Oscar" not in content
    assert "row 7 is bad" not in content


@override_settings(CRM_SCOPE_MANAGER="all")
def test_a_manager_who_sees_everything_reads_every_teams_runs(outsider, manager):
    run = JobRunFactory(name="customers.import_file", triggered_by=outsider)
    assert jobrun_get_for_user(user=manager, pk=run.pk, name="customers.import_file") == run


def test_the_job_log_shows_a_manager_the_scheduled_runs_and_their_teams(client_for, owner, outsider, manager):
    JobRunFactory(name="jobs.housekeeping", triggered_by=None)
    JobRunFactory(name="customers.import_file", triggered_by=owner)
    JobRunFactory(name="customers.import_file", triggered_by=outsider)
    runs = jobrun_list_for_user(user=manager)
    assert sorted((run.name, run.triggered_by_id) for run in runs) == [
        ("customers.import_file", owner.pk),
        ("jobs.housekeeping", None),
    ]


def test_the_runnable_jobs_come_from_settings(client_for, manager):
    content = client_for(manager).get(reverse("jobs:list")).content.decode()
    assert "Run now: Job log housekeeping" in content
    assert "Run now: Task reminders" in content
    assert "Run now: RFM scoring" in content


def test_a_run_sent_again_after_its_worker_stopped_says_so_instead_of_running(client_for, manager):
    JobRunFactory(name="ok-job", status=JobRun.Status.RUNNING, finished_at=None, restarts=1)
    content = client_for(manager).get(reverse("jobs:list")).content.decode()
    assert "Retrying after a worker stopped" in content
    assert "restarted 1 time" in content
    assert 'data-status="running">Retrying after a worker stopped</span>' in content  # not "Running"


def test_the_retrying_label_is_in_turkish_too(client_for, manager):
    JobRunFactory(name="ok-job", status=JobRun.Status.QUEUED, finished_at=None, restarts=2)
    client = client_for(manager)
    client.post(reverse("set_language"), {"language": "tr", "next": "/"})
    content = client.get(reverse("jobs:list")).content.decode()
    assert "Çalışan süreç durduğu için yeniden deneniyor" in content
    assert "2 kez yeniden başlatıldı" in content


def test_a_finished_run_shows_how_often_it_was_restarted(client_for, manager):
    JobRunFactory(name="ok-job", status=JobRun.Status.SUCCEEDED, restarts=1)
    content = client_for(manager).get(reverse("jobs:list")).content.decode()
    assert "Succeeded" in content and "restarted 1 time" in content
    assert "Retrying after a worker stopped" not in content


def test_the_admin_offers_no_add_on_job_runs(client_for, admin_user):
    run = JobRunFactory()
    client = client_for(admin_user)
    assert client.get(reverse("admin:jobs_jobrun_add")).status_code == 403
    changelist = client.get(reverse("admin:jobs_jobrun_changelist")).content.decode()
    assert reverse("admin:jobs_jobrun_add") not in changelist
    assert client.get(reverse("admin:jobs_jobrun_change", args=[run.pk])).status_code == 200


def test_reps_and_agents_see_no_run_now_and_are_refused_it(client_for, owner, agent, manager):
    assert "Run now" in client_for(manager).get(reverse("jobs:list")).content.decode()
    for user in (owner, agent):
        client = client_for(user)
        response = client.get(reverse("jobs:list"))
        assert response.status_code == 403
        assert "Run now" not in response.content.decode()
        assert client.post(reverse("jobs:run-now", args=["jobs.housekeeping"])).status_code == 403
    assert not JobRun.objects.exists()


def test_the_job_log_filters_by_job_label_in_the_readers_language(client_for, manager):
    JobRunFactory(name="jobs.housekeeping")
    JobRunFactory(name="analytics.rfm_score")
    client = client_for(manager)
    response = client.get(reverse("jobs:list"), {"name": "analytics.rfm_score"})
    assert [row.record.name for row in response.context["table"].page.object_list] == ["analytics.rfm_score"]
    turkish = client.get(reverse("jobs:list"), headers={"accept-language": "tr"}).content.decode()
    assert '<option value="jobs.housekeeping">İş günlüğü bakımı</option>' in turkish
