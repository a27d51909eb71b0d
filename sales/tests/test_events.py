"""The sales events (crm_project.events): each change tells the sinks once, inside
its transaction; a change that changes nothing tells nothing."""

import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers.tests.factories import CustomerFactory
from sales.models import Deal, Order
from sales.services.deals import deal_create, deal_move_stage
from sales.services.leads import lead_convert, lead_create, lead_set_status
from sales.services.order_import import orders_import
from sales.services.orders import order_create_from_deal
from sales.services.todos import task_complete, task_reopen
from sales.tests.factories import DealFactory, LeadFactory, TaskFactory, stage_named, won_deal

HTMX = {"HTTP_HX_REQUEST": "true"}


class Rollback(Exception):
    pass


def event(name, instance, actor, **data) -> dict:
    return {"name": name, "instance": instance, "actor": actor, "data": data}


def names(emitted) -> list[str]:
    return [e["name"] for e in emitted]


# --- leads --------------------------------------------------------------------------------------
def test_creating_a_lead_emits_lead_created_once(emitted, owner):
    lead = lead_create(actor=owner, owner=owner, last_name="Hopper")
    assert emitted == [event("lead.created", lead, owner)]


def test_a_lead_without_an_owner_is_announced_with_the_owner_the_rules_gave_it(emitted, owner):
    lead = lead_create(actor=owner, last_name="Hopper")
    assert names(emitted) == ["lead.created"]
    assert emitted[0]["instance"].owner == owner == lead.owner


def test_converting_a_lead_emits_the_customer_the_deal_and_the_conversion_once_each(emitted, owner):
    lead = LeadFactory(owner=owner)
    emitted.clear()
    customer, deal = lead_convert(lead=lead, actor=owner, create_deal=True)
    assert names(emitted) == ["customer.created", "deal.created", "lead.converted"]
    assert emitted[0]["instance"] == customer and emitted[1]["instance"] == deal
    assert emitted[2] == event("lead.converted", lead, owner, customer=customer.pk, customer_created=True, deal=deal.pk)
    assert emitted[2]["instance"].status == "converted"


def test_converting_a_lead_onto_an_existing_customer_creates_no_customer_event(emitted, owner):
    lead, existing = LeadFactory(owner=owner), CustomerFactory(owner=owner)
    lead_convert(lead=lead, actor=owner, existing_customer=existing)
    assert emitted == [event("lead.converted", lead, owner, customer=existing.pk, customer_created=False, deal=None)]


def test_a_refused_conversion_emits_nothing(emitted, owner):
    lead = LeadFactory(owner=owner)
    lead_set_status(lead=lead, status="unqualified", reason="No budget", actor=owner)
    with pytest.raises(ValidationError):
        lead_convert(lead=lead, actor=owner)
    assert emitted == []


# --- deals --------------------------------------------------------------------------------------
def test_creating_a_deal_emits_deal_created_once(emitted, owner):
    customer = CustomerFactory(owner=owner)
    deal = deal_create(actor=owner, title="Fleet", customer=customer, amount=Decimal("900.00"))
    assert emitted == [event("deal.created", deal, owner)]


def test_moving_a_deal_emits_deal_stage_changed_with_the_previous_stage(emitted, owner):
    deal = DealFactory(owner=owner)
    qualification, proposal = stage_named("Qualification"), stage_named("Proposal")
    deal_move_stage(deal=deal, stage=proposal, actor=owner)
    context = {"from_stage": qualification.pk, "from_stage_name": "Qualification"}
    assert [(e["name"], e["instance"].pk, e["instance"].stage, e["actor"], e["data"]) for e in emitted] == [
        ("deal.stage_changed", deal.pk, proposal, owner, context)
    ]


@pytest.mark.parametrize(("stage", "status"), [("Won", "won"), ("Lost", "lost")])
def test_closing_a_deal_emits_the_stage_change_and_the_outcome(emitted, owner, stage, status):
    deal = DealFactory(owner=owner)
    deal_move_stage(deal=deal, stage=stage_named(stage), actor=owner, lost_reason="Price")
    assert names(emitted) == ["deal.stage_changed", f"deal.{status}"]
    assert emitted[1]["instance"].status == status
    assert emitted[1]["data"] == {"from_stage": stage_named("Qualification").pk, "from_stage_name": "Qualification"}


def test_moving_a_deal_to_its_own_stage_emits_nothing(emitted, owner):
    deal = DealFactory(owner=owner)
    deal_move_stage(deal=deal, stage=deal.stage, actor=owner)
    assert emitted == []


# --- orders and tasks ---------------------------------------------------------------------------
def test_a_won_deal_becoming_an_order_emits_order_created_once(emitted, owner):
    deal = won_deal(owner=owner)
    order = order_create_from_deal(deal=deal, actor=owner)
    again = order_create_from_deal(deal=deal, actor=owner)
    assert again == order
    assert emitted == [event("order.created", order, owner, deal=deal.pk)]


def test_the_order_import_is_set_based_and_emits_no_event_per_row(emitted):
    """Imports of shop history write their orders set-based (bulk INSERTs, on PostgreSQL
    INSERT … SELECT): a file of a million orders does not become a million webhook calls."""
    CustomerFactory(external_ref="C-1")
    data = b"customer_ref,ordered_at,total,order_ref,currency,status\nC-1,2024-03-01,12.5,A-1,EUR,paid\n"
    result = orders_import(source=io.BytesIO(data), filename="orders.csv", actor=None)
    assert result.created == 1 and Order.objects.count() == 1
    assert emitted == []


def test_completing_a_task_emits_task_completed_once(emitted, owner):
    task = TaskFactory(owner=owner)
    task_complete(task=task, actor=owner)
    task_complete(task=task, actor=owner)
    assert emitted == [event("task.completed", task, owner)]


def test_reopening_and_completing_again_is_a_second_completion(emitted, owner):
    task = TaskFactory(owner=owner)
    task_complete(task=task, actor=owner)
    task_reopen(task=task, actor=owner)
    task_complete(task=task, actor=owner)
    assert names(emitted) == ["task.completed", "task.completed"]


def test_the_complete_button_emits_task_completed(emitted, client_for, owner):
    task = TaskFactory(owner=owner)
    client_for(owner).post(reverse("sales:task-complete", args=[task.pk]))
    assert [(e["name"], e["instance"].pk, e["actor"]) for e in emitted] == [("task.completed", task.pk, owner)]


# --- the webhook outbox -------------------------------------------------------------------------
# One change per event, as plain functions (mypy checks lambdas, and factory_boy types
# a factory's call as the factory, not the model it returns).
def _convert(owner):
    lead_convert(lead=LeadFactory(owner=owner), actor=owner)


def _create_deal(owner):
    deal_create(actor=owner, title="Fleet", customer=CustomerFactory(owner=owner))


def _move(owner, stage):
    deal_move_stage(deal=DealFactory(owner=owner), stage=stage_named(stage), actor=owner, lost_reason="Price")


def _complete(owner):
    task_complete(task=TaskFactory(owner=owner), actor=owner)


CHANGES = {
    "lead.created": lambda owner: lead_create(actor=owner, owner=owner, last_name="Hopper"),
    "lead.converted": _convert,
    "deal.created": _create_deal,
    "deal.stage_changed": lambda owner: _move(owner, "Proposal"),
    "deal.won": lambda owner: _move(owner, "Won"),
    "deal.lost": lambda owner: _move(owner, "Lost"),
    "order.created": lambda owner: order_create_from_deal(deal=won_deal(owner=owner), actor=owner),
    "task.completed": _complete,
}


@pytest.mark.parametrize("name", CHANGES)
def test_a_change_writes_one_event_and_a_delivery_per_subscribed_endpoint(webhook_outbox, owner, name):
    webhook_outbox.subscribe(name)
    webhook_outbox.subscribe(name, "rfm.run_completed")
    CHANGES[name](owner)
    assert webhook_outbox.events() == [name]
    assert webhook_outbox.deliveries() == 2


@pytest.mark.parametrize("name", CHANGES)
def test_a_rolled_back_change_leaves_the_outbox_empty(webhook_outbox, owner, name):
    webhook_outbox.subscribe(name)
    with pytest.raises(Rollback), transaction.atomic():
        CHANGES[name](owner)
        raise Rollback
    assert webhook_outbox.events() == []
    assert webhook_outbox.deliveries() == 0


@pytest.mark.parametrize("name", CHANGES)
def test_nothing_is_written_when_no_endpoint_subscribes(webhook_outbox, owner, name):
    webhook_outbox.subscribe("rfm.run_completed")
    CHANGES[name](owner)
    assert webhook_outbox.events() == []
    assert webhook_outbox.deliveries() == 0


# --- cost -----------------------------------------------------------------------------------------
def test_a_board_move_costs_one_query_more_with_the_outbox_sink(webhook_outbox, client_for, owner):
    """With nobody subscribed, the sink reads the active endpoints once (and writes nothing)."""
    deal = DealFactory(owner=owner)
    client = client_for(owner)
    url = reverse("sales:deal-move", args=[deal.pk])
    client.post(url, {"stage": stage_named("Needs analysis").pk}, **HTMX)  # warm the session and the caches
    with override_settings(CRM_EVENT_SINKS=[]), CaptureQueriesContext(connection) as without_sink:
        client.post(url, {"stage": stage_named("Proposal").pk}, **HTMX)
    with CaptureQueriesContext(connection) as with_sink:
        response = client.post(url, {"stage": stage_named("Negotiation").pk}, **HTMX)
    assert response.status_code == 200
    assert Deal.objects.get(pk=deal.pk).stage == stage_named("Negotiation")
    assert len(with_sink) == len(without_sink) + 1
