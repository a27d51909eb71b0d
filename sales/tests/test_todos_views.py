from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.tests.factories import CustomerFactory
from sales.models import Task
from sales.tests.factories import DealFactory, LeadFactory, TaskFactory

LIST = reverse("sales:task-list")


def titles(response) -> list[str]:
    return [row.record.title for row in response.context["table"].page.object_list]


def test_a_rep_sees_only_their_own_open_tasks_by_default(client_for, owner, teammate):
    TaskFactory(owner=owner, title="Mine")
    TaskFactory(owner=owner, title="Mine, done", done_at=timezone.now())
    TaskFactory(owner=teammate, title="Tom's")
    response = client_for(owner).get(LIST)
    assert titles(response) == ["Mine"]
    assert "assignee" not in response.context["filter"].form.fields


def test_any_status_shows_done_tasks_too(client_for, owner):
    TaskFactory(owner=owner, title="Open")
    TaskFactory(owner=owner, title="Done", done_at=timezone.now())
    assert sorted(titles(client_for(owner).get(LIST, {"status": ""}))) == ["Done", "Open"]
    assert titles(client_for(owner).get(LIST, {"status": "done"})) == ["Done"]


def test_a_manager_filters_by_team_member_but_never_reaches_another_team(client_for, manager, owner, outsider):
    TaskFactory(owner=manager, title="Maria's")
    TaskFactory(owner=owner, title="Olivia's")
    TaskFactory(owner=outsider, title="Oscar's")
    client = client_for(manager)
    assert titles(client.get(LIST)) == ["Maria's"]
    assert titles(client.get(LIST, {"assignee": owner.pk})) == ["Olivia's"]
    assert sorted(titles(client.get(LIST, {"assignee": "all"}))) == ["Maria's", "Olivia's"]
    assert titles(client.get(LIST, {"assignee": outsider.pk})) == []


def test_overdue_tasks_are_highlighted(client_for, owner):
    TaskFactory(owner=owner, title="Late", due_at=timezone.now() - timedelta(days=2))
    content = client_for(owner).get(LIST).content.decode()
    assert "table-danger" in content
    assert "Overdue" in content


def test_due_filters_split_overdue_today_and_the_coming_week(client_for, owner):
    now = timezone.now()
    TaskFactory(owner=owner, title="Yesterday", due_at=now - timedelta(days=1, hours=1))
    TaskFactory(owner=owner, title="In three days", due_at=now + timedelta(days=3))
    TaskFactory(owner=owner, title="In a month", due_at=now + timedelta(days=30))
    client = client_for(owner)
    assert titles(client.get(LIST, {"when": "overdue"})) == ["Yesterday"]
    assert titles(client.get(LIST, {"when": "week"})) == ["In three days"]


def test_the_related_filter_finds_tasks_on_deals(client_for, owner):
    TaskFactory(owner=owner, title="On a deal", deal=DealFactory(owner=owner))
    TaskFactory(owner=owner, title="Loose")
    client = client_for(owner)
    assert titles(client.get(LIST, {"related": "deal"})) == ["On a deal"]
    assert titles(client.get(LIST, {"related": "none"})) == ["Loose"]


def test_support_agents_have_no_task_list(client_for, agent):
    assert client_for(agent).get(LIST).status_code == 403


def test_the_list_query_count_does_not_grow_with_rows(client_for, owner, django_assert_num_queries, list_count_queries):
    deal = DealFactory(owner=owner)
    TaskFactory.create_batch(3, owner=owner, deal=deal, customer=deal.customer)
    client = client_for(owner)
    client.get(LIST)  # warm the session
    # Each measured request asks a query string not asked before: the list is drawn, not taken
    # from the cache (a write would also re-run its checked statements on PostgreSQL).
    # session, user, roles, assignees (filter), the total (list_count_queries),
    # page (owner, customer, deal, lead joined) (the saved views and the teams to share with come
    # from the cache: crm_project/fragments.py)
    with django_assert_num_queries(5 + list_count_queries):
        client.get(LIST, {"page": 1})
    TaskFactory.create_batch(30, owner=owner, deal=deal, customer=deal.customer, lead=LeadFactory(owner=owner))
    with django_assert_num_queries(5 + list_count_queries):
        response = client.get(LIST, {"page": 1, "per_page": 25})
    assert len(response.context["table"].page.object_list) == 25


# --- create and edit ---------------------------------------------------------------------------
def due_in(hours: int) -> str:
    return timezone.localtime(timezone.now() + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M")


def test_a_rep_creates_a_task_for_themselves_even_if_they_post_someone_else(client_for, owner, teammate):
    response = client_for(owner).post(
        reverse("sales:task-create"),
        {"title": "Prepare demo", "due_at": due_in(3), "priority": 3, "owner": teammate.pk},
    )
    assert response.status_code == 302
    task = Task.objects.get(title="Prepare demo")
    assert (task.owner, task.priority) == (owner, 3)


def test_the_deal_in_the_query_presets_the_relation(client_for, owner):
    deal = DealFactory(owner=owner)
    url = reverse("sales:task-create") + f"?deal={deal.pk}"
    page = client_for(owner).get(url)
    assert deal.title in page.content.decode()
    client_for(owner).post(url, {"title": "Follow up", "due_at": due_in(1), "priority": 2})
    task = Task.objects.get(title="Follow up")
    assert (task.deal, task.customer) == (deal, deal.customer)


@pytest.mark.parametrize("relation", ["deal", "customer", "lead"])
def test_a_rep_cannot_attach_a_task_to_someone_elses_record(client_for, owner, outsider, relation):
    record = {
        "deal": lambda: DealFactory(owner=outsider),
        "customer": lambda: CustomerFactory(owner=outsider),
        "lead": lambda: LeadFactory(owner=outsider),
    }[relation]()
    url = reverse("sales:task-create") + f"?{relation}={record.pk}"
    assert client_for(owner).get(url).status_code == 404
    assert client_for(owner).post(url, {"title": "x", "due_at": due_in(1), "priority": 2}).status_code == 404
    assert not Task.objects.exists()


def test_a_manager_assigns_to_a_member_but_not_to_another_team(client_for, manager, owner, outsider):
    client = client_for(manager)
    url = reverse("sales:task-create")
    client.post(url, {"title": "For Olivia", "due_at": due_in(2), "priority": 2, "owner": owner.pk})
    assert Task.objects.get(title="For Olivia").owner == owner
    response = client.post(url, {"title": "For Oscar", "due_at": due_in(2), "priority": 2, "owner": outsider.pk})
    assert response.status_code == 200
    assert "owner" in response.context["form"].errors
    assert not Task.objects.filter(title="For Oscar").exists()


def test_editing_saves_changes_and_goes_back_to_next(client_for, owner):
    task = TaskFactory(owner=owner, title="Old")
    response = client_for(owner).post(
        reverse("sales:task-edit", args=[task.pk]) + "?next=/",
        {"title": "New", "due_at": due_in(5), "priority": 1, "notes": "n"},
    )
    assert response.url == "/"
    task.refresh_from_db()
    assert (task.title, task.priority, task.notes) == ("New", 1, "n")


@pytest.mark.parametrize("persona", ["teammate", "outsider"])
def test_other_reps_get_404_for_a_task_that_is_not_theirs(client_for, owner, persona, request):
    task = TaskFactory(owner=owner)
    client = client_for(request.getfixturevalue(persona))
    assert client.get(reverse("sales:task-edit", args=[task.pk])).status_code == 404
    assert client.post(reverse("sales:task-complete", args=[task.pk])).status_code == 404
    task.refresh_from_db()
    assert task.done_at is None


def test_the_manager_may_edit_a_team_members_task(client_for, manager, owner):
    task = TaskFactory(owner=owner)
    assert client_for(manager).get(reverse("sales:task-edit", args=[task.pk])).status_code == 200


# --- complete and reopen ---------------------------------------------------------------------
def test_completing_with_htmx_returns_the_updated_row(client_for, owner):
    task = TaskFactory(owner=owner, title="Ring Bob")
    response = client_for(owner).post(reverse("sales:task-complete", args=[task.pk]), headers={"HX-Request": "true"})
    content = response.content.decode()
    assert content.lstrip().startswith(f'<tr id="task-{task.pk}"')
    assert reverse("sales:task-reopen", args=[task.pk]) in content
    task.refresh_from_db()
    assert task.done_at is not None


def test_reopening_from_my_day_returns_the_card_item(client_for, owner):
    task = TaskFactory(owner=owner, done_at=timezone.now())
    response = client_for(owner).post(
        reverse("sales:task-reopen", args=[task.pk]), {"variant": "card"}, headers={"HX-Request": "true"}
    )
    assert response.content.decode().lstrip().startswith(f'<li id="my-task-{task.pk}"')
    task.refresh_from_db()
    assert task.done_at is None


def test_completing_without_javascript_redirects_back_with_a_message(client_for, owner):
    task = TaskFactory(owner=owner, title="Ring Bob")
    response = client_for(owner).post(reverse("sales:task-complete", args=[task.pk]), {"next": "/"}, follow=True)
    assert response.redirect_chain[-1][0] == "/"
    assert "“Ring Bob” is done." in response.content.decode()


def test_an_unsafe_next_is_ignored(client_for, owner):
    task = TaskFactory(owner=owner)
    response = client_for(owner).post(reverse("sales:task-complete", args=[task.pk]), {"next": "https://evil.example/"})
    assert response.url == LIST


def test_completing_needs_a_post(client_for, owner):
    task = TaskFactory(owner=owner)
    assert client_for(owner).get(reverse("sales:task-complete", args=[task.pk])).status_code == 405
