"""POST /api/v1/customers/bulk-upsert/: many customers by external reference, each on its own."""

import pytest

from customers.models import Customer
from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/customers/bulk-upsert/"


def results_by_ref(response) -> dict:
    return {row["external_ref"]: row for row in response.json()["results"]}


def test_bulk_upsert_creates_updates_and_ignores_records_out_of_scope(api_client, owner, outsider):
    mine = CustomerFactory(owner=owner, last_name="Mine", external_ref="shop-1")
    theirs = CustomerFactory(owner=outsider, last_name="Theirs", external_ref="shop-2")
    response = api_client(owner).post(
        URL,
        {
            "customers": [
                {"external_ref": "shop-1", "last_name": "Mine again"},
                {"external_ref": "shop-2", "last_name": "Taken over"},
                {"external_ref": "shop-3", "last_name": "New"},
            ]
        },
        format="json",
    )
    assert response.status_code == 200
    results = results_by_ref(response)
    assert results["shop-1"] == {"external_ref": "shop-1", "status": "updated", "id": mine.pk}
    assert results["shop-2"] == {"external_ref": "shop-2", "status": "not_found"}
    assert results["shop-3"]["status"] == "created"
    theirs.refresh_from_db()
    mine.refresh_from_db()
    assert (mine.last_name, theirs.last_name) == ("Mine again", "Theirs")
    assert Customer.objects.get(external_ref="shop-3").owner == owner


def test_one_invalid_customer_names_its_field_and_does_not_stop_the_others(api_client, owner):
    response = api_client(owner).post(
        URL,
        {"customers": [{"external_ref": "a", "last_name": ""}, {"external_ref": "b", "last_name": "Good"}]},
        format="json",
    )
    results = results_by_ref(response)
    assert results["a"]["status"] == "invalid" and "last_name" in results["a"]["errors"]
    assert results["b"]["status"] == "created"
    assert list(Customer.objects.values_list("external_ref", flat=True)) == ["b"]


def test_a_support_agent_who_only_reads_customers_is_refused_each_write(api_client, agent, owner):
    CustomerFactory(owner=owner, external_ref="shop-1", last_name="Kept")
    response = api_client(agent).post(
        URL, {"customers": [{"external_ref": "shop-1", "last_name": "Changed"}]}, format="json"
    )
    assert results_by_ref(response)["shop-1"]["status"] == "forbidden"
    assert Customer.objects.get(external_ref="shop-1").last_name == "Kept"


def test_more_than_a_hundred_customers_or_a_missing_reference_is_a_problem_and_writes_nothing(api_client, owner):
    client = api_client(owner)
    too_many = {"customers": [{"external_ref": f"r{n}", "last_name": "X"} for n in range(101)]}
    response = client.post(URL, too_many, format="json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"][0]["attr"] == "customers"
    missing = client.post(URL, {"customers": [{"last_name": "No ref"}]}, format="json")
    assert missing.status_code == 400
    assert missing.json()["errors"][0]["attr"] == "customers.0.external_ref"
    assert not Customer.objects.exists()


def test_a_read_only_token_cannot_bulk_upsert(api_client, owner):
    client = api_client(owner, scopes=("read",))
    response = client.post(URL, {"customers": [{"external_ref": "x", "last_name": "X"}]}, format="json")
    assert response.status_code == 403
    assert not Customer.objects.exists()


def test_a_retried_bulk_upsert_with_its_idempotency_key_creates_once(api_client, owner):
    client = api_client(owner)
    body = {"customers": [{"external_ref": "x", "last_name": "X"}]}
    first = client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="sync-42")
    again = client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="sync-42")
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Customer.objects.filter(external_ref="x").count() == 1
