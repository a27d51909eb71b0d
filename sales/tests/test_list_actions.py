"""Every sales list offers each role only the actions it may use, and the server refuses the others.

Personas (root conftest): owner and teammate are reps in one team, outsider a rep in another,
manager leads the owner's team, agent is a support agent, admin_user a superuser."""

import pytest
from django.urls import reverse

from customers.tests.factories import CustomerFactory
from sales.models import Deal, Lead, Product, Task
from sales.tests.factories import DealFactory, LeadFactory, OrderFactory, ProductFactory, TaskFactory

DEALS, LEADS, ORDERS = reverse("sales:deal-list"), reverse("sales:lead-list"), reverse("sales:order-list")
PRODUCTS, TASKS = reverse("sales:product-list"), reverse("sales:task-list")


def page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def offers(html: str, url_name: str) -> bool:
    return f'href="{reverse(url_name)}"' in html


# --- deals --------------------------------------------------------------------------------------
@pytest.mark.parametrize("persona", ["owner", "teammate", "outsider", "manager", "admin_user"])
def test_sales_roles_see_new_deal_on_the_deal_list(client_for, persona, request):
    assert offers(page(client_for(request.getfixturevalue(persona)), DEALS), "sales:deal-create")


def test_a_support_agent_gets_no_deal_list_and_cannot_open_a_deal(client_for, agent, owner):
    customer = CustomerFactory(owner=owner)
    client = client_for(agent)
    assert client.get(DEALS).status_code == 403
    assert client.get(reverse("sales:deal-create")).status_code == 403
    fields = {"title": "Sneaky", "customer": customer.pk, "amount": "1", "currency": "EUR"}
    assert client.post(reverse("sales:deal-create"), fields).status_code == 403
    assert not Deal.objects.exists()


def test_the_outsider_neither_lists_nor_totals_another_teams_deals(client_for, owner, outsider):
    DealFactory(owner=owner, title="Olivia's")
    response = client_for(outsider).get(DEALS)
    assert [row.record.title for row in response.context["table"].page.object_list] == []
    assert response.context["table"].totals == []


# --- leads --------------------------------------------------------------------------------------
@pytest.mark.parametrize("persona", ["owner", "teammate", "outsider"])
def test_a_rep_sees_new_lead_but_no_bulk_bar_checkboxes_or_rules(client_for, persona, request):
    html = page(client_for(request.getfixturevalue(persona)), LEADS)
    assert offers(html, "sales:lead-create")
    assert 'id="bulk-form"' not in html
    assert 'name="ids"' not in html
    assert not offers(html, "sales:assignment-rule-list")


@pytest.mark.parametrize("persona", ["manager", "admin_user"])
def test_managers_and_admins_get_the_bulk_bar_with_reassign_and_the_rules(client_for, persona, request, owner):
    LeadFactory(owner=owner)
    response = client_for(request.getfixturevalue(persona)).get(LEADS)
    html = response.content.decode()
    assert offers(html, "sales:lead-create")
    assert offers(html, "sales:assignment-rule-list")
    assert 'id="bulk-form"' in html
    assert 'name="ids"' in html
    assert [value for value, _label in response.context["bulk_form"].fields["action"].choices] == [
        "reassign",
        "assign_rules",
    ]


def test_a_support_agent_is_refused_every_lead_action(client_for, agent, owner):
    lead = LeadFactory(owner=owner)
    client = client_for(agent)
    assert client.get(LEADS).status_code == 403
    assert client.get(reverse("sales:lead-create")).status_code == 403
    assert client.post(reverse("sales:lead-create"), {"first_name": "X", "last_name": "Y"}).status_code == 403
    assert client.post(reverse("sales:lead-bulk"), {"action": "assign_rules", "ids": [lead.pk]}).status_code == 403
    assert Lead.objects.count() == 1


def test_the_outsider_cannot_bulk_reassign_another_teams_leads(client_for, owner, outsider):
    lead = LeadFactory(owner=owner)
    response = client_for(outsider).post(
        reverse("sales:lead-bulk"), {"action": "reassign", "owner": outsider.pk, "ids": [lead.pk]}
    )
    assert response.status_code == 403
    lead.refresh_from_db()
    assert lead.owner == owner


# --- orders and products ---------------------------------------------------------------------------
@pytest.mark.parametrize("persona", ["manager", "admin_user"])
def test_managers_and_admins_see_import_orders(client_for, persona, request):
    assert offers(page(client_for(request.getfixturevalue(persona)), ORDERS), "sales:order-import")


@pytest.mark.parametrize("persona", ["owner", "outsider", "agent"])
def test_reps_and_agents_see_no_import_orders_and_are_refused_it(client_for, persona, request):
    client = client_for(request.getfixturevalue(persona))
    assert not offers(page(client, ORDERS), "sales:order-import")
    assert client.get(reverse("sales:order-import")).status_code == 403
    assert client.post(reverse("sales:order-import"), {}).status_code == 403


def test_an_agent_reads_the_order_list_with_its_totals(client_for, agent, owner):
    OrderFactory(customer=CustomerFactory(owner=owner), order_ref="SO-1")
    response = client_for(agent).get(ORDERS)
    assert [str(row.record) for row in response.context["table"].page.object_list] == ["SO-1"]
    assert response.context["table"].totals


@pytest.mark.parametrize("persona", ["manager", "admin_user"])
def test_managers_and_admins_may_add_and_edit_products(client_for, persona, request, db):
    product = ProductFactory()
    html = page(client_for(request.getfixturevalue(persona)), PRODUCTS)
    assert offers(html, "sales:product-create")
    assert f'href="{reverse("sales:product-edit", args=[product.pk])}"' in html


@pytest.mark.parametrize("persona", ["owner", "outsider", "agent"])
def test_reps_and_agents_read_products_but_cannot_add_or_edit_them(client_for, persona, request, db):
    product = ProductFactory(name="Seats")
    client = client_for(request.getfixturevalue(persona))
    html = page(client, PRODUCTS)
    assert "Seats" in html
    assert not offers(html, "sales:product-create")
    assert reverse("sales:product-edit", args=[product.pk]) not in html
    assert client.get(reverse("sales:product-create")).status_code == 403
    assert client.post(reverse("sales:product-create"), {"name": "Free", "price": "0"}).status_code == 403
    assert client.post(reverse("sales:product-edit", args=[product.pk]), {"name": "Mine"}).status_code == 403
    assert list(Product.objects.values_list("name", flat=True)) == ["Seats"]


# --- tasks --------------------------------------------------------------------------------------
@pytest.mark.parametrize("persona", ["owner", "outsider", "manager", "admin_user"])
def test_sales_roles_see_new_task_on_the_task_list(client_for, persona, request):
    assert offers(page(client_for(request.getfixturevalue(persona)), TASKS), "sales:task-create")


def test_a_support_agent_gets_no_task_list_and_cannot_add_tasks(client_for, agent, owner):
    task = TaskFactory(owner=owner)
    client = client_for(agent)
    assert client.get(TASKS).status_code == 403
    assert client.get(reverse("sales:task-create")).status_code == 403
    assert client.post(reverse("sales:task-create"), {"title": "Sneaky"}).status_code == 403
    assert client.post(reverse("sales:task-complete", args=[task.pk])).status_code == 404
    assert list(Task.objects.values_list("title", flat=True)) == [task.title]


def test_the_outsider_cannot_complete_another_teams_task(client_for, owner, outsider):
    task = TaskFactory(owner=owner)
    assert client_for(outsider).post(reverse("sales:task-complete", args=[task.pk])).status_code == 404
    task.refresh_from_db()
    assert task.done_at is None
