from datetime import timedelta

import pytest
from django.utils import timezone

from customers.models import Interaction
from customers.tests.factories import CustomerFactory
from sales.services.todos import task_complete, task_create, task_reopen, task_update
from sales.tests.factories import DealFactory, TaskFactory


def test_a_new_task_belongs_to_its_creator_and_the_creators_team(owner, team):
    task = task_create(actor=owner, title="Call back", due_at=timezone.now())
    assert (task.owner, task.team, task.created_by, task.done_at) == (owner, team, owner, None)


def test_a_task_on_a_deal_is_also_on_the_deals_customer_and_audited_there(owner):
    deal = DealFactory(owner=owner)
    task = task_create(actor=owner, title="Send the proposal", due_at=timezone.now(), deal=deal)
    assert task.customer == deal.customer
    entry = Interaction.objects.get(customer=deal.customer, action="task.created")
    assert entry.data == {"task": task.pk, "title": "Send the proposal"}
    assert "Send the proposal" in entry.summary


def test_a_task_without_a_customer_leaves_no_timeline_entry(owner):
    task_create(actor=owner, title="Plan the week", due_at=timezone.now())
    assert not Interaction.objects.filter(action="task.created").exists()


def test_a_manager_assigns_a_task_and_the_team_follows_the_assignee(manager, owner, outsider, other_team):
    task = task_create(actor=manager, owner=outsider, title="Visit", due_at=timezone.now())
    assert (task.owner, task.team, task.created_by) == (outsider, other_team, manager)


def test_completing_and_reopening_are_audited_and_completing_twice_keeps_the_first_time(owner):
    customer = CustomerFactory(owner=owner)
    task = TaskFactory(owner=owner, customer=customer)
    task = task_complete(task=task, actor=owner)
    first = task.done_at
    assert first is not None
    assert task_complete(task=task, actor=owner).done_at == first
    task = task_reopen(task=task, actor=owner)
    assert task.done_at is None
    actions = list(Interaction.objects.filter(customer=customer).values_list("action", flat=True))
    assert sorted(actions) == ["task.completed", "task.reopened"]


def test_moving_the_due_time_or_the_assignee_resets_the_reminder(owner, teammate):
    task = TaskFactory(owner=owner, reminded_at=timezone.now())
    task = task_update(task=task, actor=owner, title="Renamed")
    assert task.reminded_at is not None
    task = task_update(task=task, actor=owner, due_at=task.due_at + timedelta(days=1))
    assert task.reminded_at is None
    task.reminded_at = timezone.now()
    task = task_update(task=task, actor=owner, owner=teammate)
    assert task.reminded_at is None


def test_updating_only_known_fields_is_allowed(owner):
    task = TaskFactory(owner=owner)
    with pytest.raises(TypeError):
        task_update(task=task, actor=owner, done_at=timezone.now())
