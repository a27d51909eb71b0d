"""The timeline through the API: entries of visible customers; logging as the page allows."""

import pytest

from customers.models import Interaction
from customers.tests.factories import CustomerFactory, InteractionFactory

URL = "/api/v1/interactions/"


@pytest.fixture
def customer(owner):
    return CustomerFactory(owner=owner, last_name="Lovelace")


def test_the_timeline_lists_entries_of_visible_customers_only(api_client, owner, outsider, customer):
    mine = InteractionFactory(customer=customer, summary="Called Ada")
    InteractionFactory(customer=CustomerFactory(owner=outsider), summary="Their call")
    assert [row["id"] for row in api_client(owner).get(URL).json()["results"]] == [mine.pk]
    outsiders = api_client(outsider)
    assert [row["summary"] for row in outsiders.get(URL, {"customer": customer.pk}).json()["results"]] == []
    assert outsiders.get(f"{URL}{mine.pk}/").status_code == 404


def test_the_timeline_filters_by_customer_and_kind(api_client, owner, customer):
    call = InteractionFactory(customer=customer, kind="call")
    InteractionFactory(customer=customer, kind="note")
    InteractionFactory(customer=CustomerFactory(owner=owner), kind="call")
    response = api_client(owner).get(URL, {"customer": customer.pk, "kind": "call"})
    assert [row["id"] for row in response.json()["results"]] == [call.pk]


def test_system_entries_read_as_sentences(api_client, owner, customer):
    api_client(owner).patch(f"/api/v1/customers/{customer.pk}/", {"notes": "x"}, format="json")
    rows = api_client(owner).get(URL, {"customer": customer.pk, "kind": "system"}).json()["results"]
    assert [(row["action"], row["data"]) for row in rows] == [("customer.updated", {"fields": ["notes"]})]
    assert rows[0]["text"]


def test_the_owner_logs_a_call_on_the_timeline(api_client, owner, customer):
    response = api_client(owner).post(
        URL, {"customer": customer.pk, "kind": "call", "summary": "Talked about renewal"}, format="json"
    )
    assert response.status_code == 201
    entry = Interaction.objects.get(pk=response.json()["id"])
    assert (entry.customer, entry.user, entry.kind) == (customer, owner, "call")


def test_a_support_agent_logs_a_call_on_a_customer_they_cannot_edit(api_client, agent, customer):
    response = api_client(agent).post(URL, {"customer": customer.pk, "kind": "call", "summary": "Hi"}, format="json")
    assert response.status_code == 201


def test_an_outsider_cannot_log_on_another_reps_customer(api_client, outsider, customer):
    response = api_client(outsider).post(
        URL, {"customer": customer.pk, "kind": "call", "summary": "sneaky"}, format="json"
    )
    # Not a 403: that would confirm the customer exists.
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "customer"
    assert not Interaction.objects.filter(summary="sneaky").exists()


def test_system_entries_cannot_be_logged(api_client, owner, customer):
    response = api_client(owner).post(URL, {"customer": customer.pk, "kind": "system", "summary": "x"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "kind"
