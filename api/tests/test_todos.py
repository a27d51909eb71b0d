"""/api/v1/tasks/: the task pages' rules and filters through a token."""

from datetime import timedelta

import pytest
from django.utils import timezone

from api.representations import represent
from customers.models import Interaction
from customers.tests.factories import CustomerFactory
from sales.models import Task
from sales.tests.factories import DealFactory, LeadFactory, TaskFactory

pytestmark = pytest.mark.django_db

TASKS = "/api/v1/tasks/"


def url(task, action: str = "") -> str:
    return f"{TASKS}{task.pk}/{action + '/' if action else ''}"


def titles(response) -> set[str]:
    return {row["title"] for row in response.json()["results"]}


def due_tomorrow() -> str:
    return (timezone.now() + timedelta(days=1)).isoformat()


# --- who sees what, and the page's filters --------------------------------------------------
def test_a_rep_lists_their_own_open_tasks_by_default(api_client, owner, teammate):
    TaskFactory(owner=owner, title="Mine")
    TaskFactory(owner=owner, title="Mine, done", done_at=timezone.now())
    TaskFactory(owner=teammate, title="Tom's")
    client = api_client(owner)

    assert titles(client.get(TASKS)) == {"Mine"}
    assert titles(client.get(TASKS, {"status": ""})) == {"Mine", "Mine, done"}
    assert titles(client.get(TASKS, {"status": "done"})) == {"Mine, done"}


def test_a_manager_filters_by_team_member_but_never_reaches_another_team(api_client, manager, owner, outsider):
    TaskFactory(owner=manager, title="Maria's")
    TaskFactory(owner=owner, title="Olivia's")
    TaskFactory(owner=outsider, title="Oscar's")
    client = api_client(manager)

    assert titles(client.get(TASKS)) == {"Maria's"}
    assert titles(client.get(TASKS, {"assignee": owner.pk})) == {"Olivia's"}
    assert titles(client.get(TASKS, {"assignee": "all"})) == {"Maria's", "Olivia's"}
    assert client.get(TASKS, {"assignee": outsider.pk}).status_code == 400


def test_the_due_and_related_filters_work_as_on_the_page(api_client, owner):
    now = timezone.now()
    TaskFactory(owner=owner, title="Yesterday", due_at=now - timedelta(days=1, hours=1))
    TaskFactory(owner=owner, title="On a deal", due_at=now + timedelta(days=3), deal=DealFactory(owner=owner))
    client = api_client(owner)

    assert titles(client.get(TASKS, {"when": "overdue"})) == {"Yesterday"}
    assert titles(client.get(TASKS, {"when": "week"})) == {"On a deal"}
    assert titles(client.get(TASKS, {"related": "deal"})) == {"On a deal"}


def test_an_outsider_gets_an_empty_list_and_404_on_every_task_action(api_client, owner, outsider):
    task = TaskFactory(owner=owner, title="Call back")
    client = api_client(outsider)

    assert client.get(TASKS, {"assignee": "all", "status": ""}).json()["results"] == []
    assert client.get(url(task)).status_code == 404
    assert client.patch(url(task), {"title": "Mine"}, format="json").status_code == 404
    assert client.post(url(task, "complete")).status_code == 404
    task.refresh_from_db()
    assert task.title == "Call back" and task.done_at is None


def test_support_agents_have_no_task_list_and_no_new_tasks(api_client, agent):
    client = api_client(agent)

    assert client.get(TASKS).status_code == 403
    assert client.post(TASKS, {"title": "X", "due_at": due_tomorrow()}, format="json").status_code == 403
    assert not Task.objects.exists()


def test_a_read_only_token_cannot_complete_a_task(api_client, owner):
    task = TaskFactory(owner=owner)

    assert api_client(owner, scopes=("read",)).post(url(task, "complete")).status_code == 403
    task.refresh_from_db()
    assert task.done_at is None


# --- create, update, complete ---------------------------------------------------------------
def test_a_rep_creates_a_task_on_their_deal_with_a_timeline_entry(api_client, owner):
    deal = DealFactory(owner=owner)

    response = api_client(owner).post(
        TASKS, {"title": "Send the offer", "due_at": due_tomorrow(), "deal": deal.pk}, format="json"
    )

    assert response.status_code == 201
    task = Task.objects.get()
    assert (task.owner, task.deal, task.customer, task.created_by) == (owner, deal, deal.customer, owner)
    assert Interaction.objects.filter(customer=deal.customer, action="task.created", data__task=task.pk).exists()


@pytest.mark.parametrize("relation", ["customer", "deal", "lead"])
def test_a_rep_cannot_attach_a_task_to_someone_elses_record(api_client, owner, outsider, relation):
    record = {
        "customer": lambda: CustomerFactory(owner=outsider),
        "deal": lambda: DealFactory(owner=outsider),
        "lead": lambda: LeadFactory(owner=outsider),
    }[relation]()

    response = api_client(owner).post(
        TASKS, {"title": "X", "due_at": due_tomorrow(), relation: record.pk}, format="json"
    )

    assert response.status_code == 400 and response.json()["errors"][0]["attr"] == relation
    assert not Task.objects.exists()


def test_a_rep_assigns_only_themselves_and_a_manager_a_team_member(api_client, owner, teammate, manager, outsider):
    by_rep = api_client(owner).post(
        TASKS, {"title": "A", "due_at": due_tomorrow(), "owner": teammate.pk}, format="json"
    )
    by_manager = api_client(manager).post(
        TASKS, {"title": "B", "due_at": due_tomorrow(), "owner": owner.pk}, format="json"
    )
    to_outsider = api_client(manager).post(
        TASKS, {"title": "C", "due_at": due_tomorrow(), "owner": outsider.pk}, format="json"
    )

    assert by_rep.status_code == 400 and by_rep.json()["errors"][0]["attr"] == "owner"
    assert by_manager.status_code == 201 and Task.objects.get(title="B").owner == owner
    assert to_outsider.status_code == 400
    assert set(Task.objects.values_list("title", flat=True)) == {"B"}


def test_editing_a_task_and_a_stale_version_is_a_409(api_client, owner):
    task = TaskFactory(owner=owner, title="Old")
    client = api_client(owner)

    saved = client.patch(url(task), {"title": "New", "version": task.version}, format="json")
    stale = client.patch(url(task), {"title": "Newer", "version": task.version}, format="json")

    assert saved.status_code == 200 and stale.status_code == 409
    task.refresh_from_db()
    assert task.title == "New"


def test_the_manager_may_edit_a_team_members_task(api_client, manager, owner):
    task = TaskFactory(owner=owner, title="Old")

    assert api_client(manager).patch(url(task), {"title": "By Maria"}, format="json").status_code == 200
    task.refresh_from_db()
    assert task.title == "By Maria"


def test_completing_marks_the_task_done_with_a_timeline_entry_and_reopening_undoes_it(api_client, owner):
    customer = CustomerFactory(owner=owner)
    task = TaskFactory(owner=owner, customer=customer)
    client = api_client(owner)

    done = client.post(url(task, "complete"))
    task.refresh_from_db()
    assert done.status_code == 200 and done.json()["done_at"] is not None and task.done_at is not None
    assert Interaction.objects.filter(customer=customer, action="task.completed", data__task=task.pk).exists()

    client.post(url(task, "reopen"))
    task.refresh_from_db()
    assert task.done_at is None


def test_there_is_no_deleting_a_task(api_client, owner):
    task = TaskFactory(owner=owner)

    assert api_client(owner).delete(url(task)).status_code == 405
    assert Task.objects.filter(pk=task.pk).exists()


def test_a_tasks_webhook_payload_is_what_the_api_returns(api_client, owner):
    task = TaskFactory(owner=owner)

    assert represent(task) == api_client(owner).get(url(task)).json()
