"""The customer events (crm_project.events): each change tells the sinks once, inside
its transaction; a change that changes nothing tells nothing."""

import pytest
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers.models import ConsentEvent, Customer
from customers.services import consent_record, customer_create, customer_reassign, customer_update
from customers.services.merge import customer_merge
from customers.tests.factories import CustomerFactory
from customers.tests.test_imports import csv_bytes, run_import

UNKNOWN, OPTED_IN, OPTED_OUT = Customer.Consent.UNKNOWN, Customer.Consent.OPTED_IN, Customer.Consent.OPTED_OUT


class Rollback(Exception):
    pass


@pytest.fixture
def customer(owner):
    return CustomerFactory(owner=owner, first_name="Ada", last_name="Lovelace", city="London")


def event(name, instance, actor, **data) -> dict:
    return {"name": name, "instance": instance, "actor": actor, "data": data}


# --- what is emitted ------------------------------------------------------------------------------
def test_creating_a_customer_emits_customer_created_once(emitted, owner):
    customer = customer_create(actor=owner, last_name="Hopper")
    assert emitted == [event("customer.created", customer, owner)]


def test_editing_a_customer_emits_customer_updated_with_the_changed_fields(emitted, owner, customer):
    customer_update(customer=customer, actor=owner, first_name="Ada", city="Paris")
    assert emitted == [event("customer.updated", customer, owner, fields=["city"])]


def test_saving_a_customer_without_a_change_emits_nothing(emitted, owner, customer):
    customer_update(customer=customer, actor=owner, first_name="Ada", city="London")
    assert emitted == []


def test_saving_the_edit_page_emits_customer_updated_once(emitted, client_for, owner, customer):
    client_for(owner).post(reverse("customers:customer-edit", args=[customer.pk]), edit_form(customer, city="Paris"))
    assert [(e["name"], e["instance"].pk, e["data"]) for e in emitted] == [
        ("customer.updated", customer.pk, {"fields": ["city"]})
    ]


def test_reassigning_a_customer_emits_customer_updated_naming_the_owner(emitted, owner, teammate, customer):
    customer_reassign(customer=customer, owner=teammate, actor=owner)
    assert emitted == [event("customer.updated", customer, owner, fields=["owner"])]


def test_reassigning_a_customer_to_their_owner_emits_nothing(emitted, owner, customer):
    customer_reassign(customer=customer, owner=owner, actor=owner)
    assert emitted == []


def test_changing_consent_emits_consent_changed_with_the_old_and_new_status_and_source(emitted, owner, customer):
    consent_record(customer=customer, status=OPTED_IN, source="manual", actor=owner)
    assert emitted == [event("consent.changed", customer, owner, from_status=UNKNOWN, status=OPTED_IN, source="manual")]


def test_recording_the_same_consent_again_is_logged_but_emits_nothing(emitted, owner, customer):
    consent_record(customer=customer, status=OPTED_IN, source="manual", actor=owner)
    emitted.clear()
    consent_record(customer=customer, status=OPTED_IN, source="form", actor=owner)
    assert ConsentEvent.objects.filter(customer=customer).count() == 2
    assert emitted == []


def test_the_consent_form_on_the_customer_page_emits_consent_changed(emitted, client_for, owner, customer):
    client_for(owner).post(reverse("customers:consent-update", args=[customer.pk]), {"status": OPTED_OUT})
    assert [(e["name"], e["instance"].pk, e["actor"], e["data"]["status"], e["data"]["source"]) for e in emitted] == [
        ("consent.changed", customer.pk, owner, OPTED_OUT, "manual")
    ]


def test_merging_emits_customer_merged_on_the_survivor_naming_the_other(emitted, owner, customer):
    other = CustomerFactory(owner=owner, last_name="Lovelace")
    survivor = customer_merge(survivor=customer, other=other, field_values={}, actor=owner)
    assert emitted == [event("customer.merged", survivor, owner, merged_customer=other.pk)]
    assert survivor.pk == customer.pk


def test_merging_in_a_later_consent_decision_also_emits_consent_changed(emitted, owner, customer):
    other = CustomerFactory(owner=owner, last_name="Lovelace")
    consent_record(customer=other, status=OPTED_OUT, source="unsubscribe", actor=None)
    emitted.clear()
    survivor = customer_merge(survivor=customer, other=other, field_values={}, actor=owner)
    assert [e["name"] for e in emitted] == ["customer.merged", "consent.changed"]
    assert emitted[1] == event(
        "consent.changed", survivor, owner, from_status=UNKNOWN, status=OPTED_OUT, source="merge"
    )


def test_an_import_is_set_based_and_emits_no_event_per_row(emitted, owner, customer):
    """The import writes its rows set-based (bulk INSERTs, on PostgreSQL one INSERT … SELECT):
    a file of a million rows does not become a million webhook calls. Its receivers re-read."""
    rows = [["Grace", "Hopper", "grace@example.com", "", "", "", "", "US"]]
    result = run_import(csv_bytes(rows), actor=owner)
    assert result.created == 1
    assert emitted == []


# --- the webhook outbox -------------------------------------------------------------------------
def _merge(owner, customer):  # a function: mypy checks lambdas, and types a factory's call as the factory
    customer_merge(survivor=customer, other=CustomerFactory(owner=owner), field_values={}, actor=owner)


CHANGES = {
    "customer.created": lambda owner, customer: customer_create(actor=owner, last_name="Hopper"),
    "customer.updated": lambda owner, customer: customer_update(customer=customer, actor=owner, city="Paris"),
    "customer.merged": _merge,
    "consent.changed": lambda owner, customer: consent_record(
        customer=customer, status=OPTED_IN, source="manual", actor=owner
    ),
}


@pytest.mark.parametrize("name", CHANGES)
def test_a_change_writes_one_event_and_a_delivery_per_subscribed_endpoint(webhook_outbox, owner, customer, name):
    webhook_outbox.subscribe(name)
    webhook_outbox.subscribe(name, "deal.won")
    CHANGES[name](owner, customer)
    assert webhook_outbox.events() == [name]
    assert webhook_outbox.deliveries() == 2


@pytest.mark.parametrize("name", CHANGES)
def test_a_rolled_back_change_leaves_the_outbox_empty(webhook_outbox, owner, customer, name):
    webhook_outbox.subscribe(name)
    with pytest.raises(Rollback), transaction.atomic():
        CHANGES[name](owner, customer)
        raise Rollback
    assert webhook_outbox.events() == []
    assert webhook_outbox.deliveries() == 0


@pytest.mark.parametrize("name", CHANGES)
def test_nothing_is_written_when_no_endpoint_subscribes(webhook_outbox, owner, customer, name):
    webhook_outbox.subscribe("deal.won")
    CHANGES[name](owner, customer)
    assert webhook_outbox.events() == []
    assert webhook_outbox.deliveries() == 0


# --- cost -----------------------------------------------------------------------------------------
def test_saving_the_edit_page_costs_one_query_more_with_the_outbox_sink(webhook_outbox, client_for, owner, customer):
    """With nobody subscribed, the sink reads the active endpoints once (and writes nothing)."""
    client = client_for(owner)
    url = reverse("customers:customer-edit", args=[customer.pk])
    client.post(url, edit_form(customer, city="Paris"))  # warm the session and the caches
    with override_settings(CRM_EVENT_SINKS=[]), CaptureQueriesContext(connection) as without_sink:
        client.post(url, edit_form(customer, city="Rome"))
    with CaptureQueriesContext(connection) as with_sink:
        client.post(url, edit_form(customer, city="Oslo"))
    customer.refresh_from_db()
    assert customer.city == "Oslo"
    assert len(with_sink) == len(without_sink) + 1


def edit_form(customer: Customer, **changes) -> dict:
    values = {
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "email": customer.email,
        "phone": customer.phone,
        "lifecycle_stage": customer.lifecycle_stage,
        "source": customer.source,
        "country": customer.country,
        "city": customer.city,
        "owner": customer.owner_id,
    }
    return {**values, **changes}
