"""Deals, leads and tasks: an edit saved after someone else's is refused, with both changes kept."""

import pytest
from django.urls import reverse

from customers.tests.test_stale_edits import form_as_opened
from sales.forms.deals import DealForm
from sales.forms.leads import LeadForm
from sales.forms.todos import TaskForm
from sales.models import Deal, Lead, Task
from sales.tests.factories import DealFactory, LeadFactory, TaskFactory

pytestmark = pytest.mark.django_db

CASES = {
    "deal": (DealFactory, DealForm, "sales:deal-edit", "title", "expected_close_date", "2031-05-01"),
    "lead": (LeadFactory, LeadForm, "sales:lead-edit", "company_name", "phone", "+49 30 555"),
    "task": (TaskFactory, TaskForm, "sales:task-edit", "title", "notes", "Bring the contract"),
}


@pytest.mark.parametrize("kind", CASES)
def test_a_stale_edit_is_refused_and_the_other_persons_change_is_kept(client_for, owner, kind):
    factory, form_class, url_name, theirs_field, my_field, my_value = CASES[kind]
    record = factory(owner=owner)
    model = type(record)
    url = reverse(url_name, args=[record.pk])
    opened = form_as_opened(form_class(instance=model.objects.get(pk=record.pk), user=owner))
    assert client_for(owner).post(url, {**opened, theirs_field: "Changed first"}).status_code == 302

    response = client_for(owner).post(url, {**opened, my_field: my_value})

    assert response.status_code == 200
    assert "Someone else saved this record while you were editing" in response.content.decode()
    form = response.context["form"]
    assert form[theirs_field].value() == "Changed first"
    assert form[my_field].value() == my_value
    stored = model.objects.get(pk=record.pk)
    assert getattr(stored, theirs_field) == "Changed first"
    assert stored.version == 2


def test_the_models_carry_a_version():
    assert all(hasattr(model, "version") for model in (Deal, Lead, Task))
