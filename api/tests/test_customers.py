"""Customers through the API, for every persona, as the pages allow (customers/tests/test_views.py)."""

import json

import pytest
from django.core.serializers.json import DjangoJSONEncoder

from api.representations import represent
from customers.models import ConsentEvent, Customer, CustomField, Interaction
from customers.tests.factories import CompanyFactory, CustomerFactory, TagFactory

URL = "/api/v1/customers/"


def url(customer, tail=""):
    return f"{URL}{customer.pk}/{tail}"


@pytest.fixture
def customer(owner, team):
    return CustomerFactory(owner=owner, team=team, first_name="Ada", last_name="Lovelace", external_ref="shop-1")


# --- who sees what ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("persona", "status"),
    [("owner", 200), ("teammate", 404), ("outsider", 404), ("manager", 200), ("agent", 200), ("admin_user", 200)],
)
def test_a_customer_is_visible_only_within_scope(request, api_client, customer, persona, status):
    response = api_client(request.getfixturevalue(persona)).get(url(customer))
    assert response.status_code == status


@pytest.mark.parametrize(
    ("persona", "status"),
    [("owner", 200), ("teammate", 404), ("outsider", 404), ("manager", 200), ("agent", 403), ("admin_user", 200)],
)
def test_editing_needs_write_access(request, api_client, customer, persona, status):
    response = api_client(request.getfixturevalue(persona)).patch(url(customer), {"notes": "edited"}, format="json")
    assert response.status_code == status
    customer.refresh_from_db()
    assert (customer.notes == "edited") is (status == 200)


def test_an_outsiders_token_gets_404_on_every_customer_record_and_an_empty_list(api_client, outsider, customer):
    client = api_client(outsider)
    assert client.get(URL).json()["results"] == []
    responses = [
        client.get(url(customer)),
        client.put(url(customer), {"last_name": "Taken"}, format="json"),
        client.patch(url(customer), {"last_name": "Taken"}, format="json"),
        client.delete(url(customer)),
        client.get(url(customer, "consent/")),
        client.post(url(customer, "consent/"), {"status": "opted_out"}, format="json"),
        client.put(f"{URL}by-ref/shop-1/", {"last_name": "Taken"}, format="json"),
    ]
    assert [response.status_code for response in responses] == [404] * len(responses)
    customer.refresh_from_db()
    assert (customer.last_name, customer.deleted_at, customer.email_consent) == ("Lovelace", None, "unknown")
    assert not ConsentEvent.objects.exists()


def test_the_list_shows_only_customers_in_scope(api_client, owner, outsider, manager):
    mine = CustomerFactory(owner=owner, last_name="Mine")
    theirs = CustomerFactory(owner=outsider, last_name="Theirs")
    assert [row["id"] for row in api_client(owner).get(URL).json()["results"]] == [mine.pk]
    assert [row["id"] for row in api_client(outsider).get(URL).json()["results"]] == [theirs.pk]
    assert [row["id"] for row in api_client(manager).get(URL).json()["results"]] == [mine.pk]


def test_the_list_searches_and_filters_with_the_list_pages_filters(api_client, owner):
    ada = CustomerFactory(owner=owner, first_name="Ada", last_name="Lovelace", lifecycle_stage="customer")
    CustomerFactory(owner=owner, first_name="Alan", last_name="Turing", lifecycle_stage="lead")
    client = api_client(owner)
    assert [row["id"] for row in client.get(URL, {"q": "lovel"}).json()["results"]] == [ada.pk]
    assert [row["id"] for row in client.get(URL, {"lifecycle_stage": "customer"}).json()["results"]] == [ada.pk]


def test_the_list_filters_by_custom_fields_like_the_page(api_client, owner):
    CustomField.objects.create(label="Plan", key="plan", field_type="choice", choices="basic\npro")
    pro = CustomerFactory(owner=owner, custom_data={"plan": "pro"})
    CustomerFactory(owner=owner, custom_data={"plan": "basic"})
    assert [row["id"] for row in api_client(owner).get(URL, {"cf_plan": "pro"}).json()["results"]] == [pro.pk]


def test_an_invalid_filter_is_a_problem_naming_the_filter(api_client, owner):
    response = api_client(owner).get(URL, {"lifecycle_stage": "astronaut"})
    assert response.status_code == 400
    assert [error["attr"] for error in response.json()["errors"]] == ["lifecycle_stage"]


# --- create, update, delete -----------------------------------------------------------
def test_a_rep_creates_a_customer_they_own_with_tags_and_a_new_company(api_client, owner, team):
    TagFactory(name="vip")
    response = api_client(owner).post(
        URL,
        {"last_name": "Hopper", "email": "grace@example.com", "company_name": "Navy", "tags": ["vip"]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    customer = Customer.objects.get(pk=response.json()["id"])
    assert (customer.owner, customer.team, customer.company.name) == (owner, team, "Navy")
    assert response.json()["tags"] == ["vip"]
    assert Interaction.objects.filter(customer=customer, action="customer.created").exists()


def test_a_company_name_picks_the_visible_company_of_that_name(api_client, owner):
    navy = CompanyFactory(name="Navy", owner=owner)
    response = api_client(owner).post(URL, {"last_name": "Hopper", "company_name": "navy"}, format="json")
    assert response.json()["company"] == navy.pk


def test_a_company_out_of_scope_cannot_be_attached(api_client, owner, outsider):
    theirs = CompanyFactory(owner=outsider)
    response = api_client(owner).post(URL, {"last_name": "Hopper", "company": theirs.pk}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "company"
    assert not Customer.objects.filter(last_name="Hopper").exists()


def test_support_agents_cannot_create_customers(api_client, agent):
    assert api_client(agent).post(URL, {"last_name": "Hopper"}, format="json").status_code == 403
    assert not Customer.objects.exists()


def test_only_managers_and_admins_assign_owners(api_client, owner, teammate, manager, customer):
    refused = api_client(owner).patch(url(customer), {"owner": teammate.pk}, format="json")
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["attr"] == "owner"
    # Sending the owner the record has is no assignment: a read-modify-write round trip works.
    assert api_client(owner).patch(url(customer), {"owner": owner.pk}, format="json").status_code == 200
    assert api_client(manager).patch(url(customer), {"owner": teammate.pk}, format="json").status_code == 200
    customer.refresh_from_db()
    assert customer.owner == teammate


def test_a_manager_cannot_give_a_record_to_a_user_who_cannot_own_records(api_client, manager, agent, customer):
    response = api_client(manager).patch(url(customer), {"owner": agent.pk}, format="json")
    assert response.status_code == 400
    customer.refresh_from_db()
    assert customer.owner != agent


def test_an_edit_with_a_stale_version_is_a_409_and_changes_nothing(api_client, owner, customer):
    client = api_client(owner)
    version = client.get(url(customer)).json()["version"]
    assert client.patch(url(customer), {"notes": "first", "version": version}, format="json").status_code == 200
    stale = client.patch(url(customer), {"notes": "second", "version": version}, format="json")
    assert stale.status_code == 409
    assert stale["Content-Type"] == "application/problem+json"
    customer.refresh_from_db()
    assert (customer.notes, customer.version) == ("first", version + 1)


def test_put_needs_the_whole_record(api_client, owner, customer):
    client = api_client(owner)
    assert client.put(url(customer), {"first_name": "Augusta"}, format="json").status_code == 400
    response = client.put(url(customer), {"first_name": "Augusta", "last_name": "King"}, format="json")
    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.full_name == "Augusta King"


def test_tags_sent_are_the_customers_tags_by_name_or_id(api_client, owner, customer):
    vip, gold, old = TagFactory(name="vip"), TagFactory(name="gold"), TagFactory(name="old")
    customer.tags.add(old)
    response = api_client(owner).patch(url(customer), {"tags": ["vip", gold.pk]}, format="json")
    assert response.json()["tags"] == ["gold", "vip"]
    assert set(customer.tags.all()) == {vip, gold}


def test_an_unknown_tag_is_refused_and_nothing_changes(api_client, owner, customer):
    response = api_client(owner).patch(url(customer), {"tags": ["nope"], "notes": "x"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "tags"
    customer.refresh_from_db()
    assert customer.notes == ""


def test_custom_fields_are_validated_like_the_form(api_client, owner, customer):
    CustomField.objects.create(label="Seats", key="seats", field_type="number")
    CustomField.objects.create(label="Renewal", key="renewal", field_type="date")
    client = api_client(owner)
    bad = client.patch(url(customer), {"custom_data": {"seats": "many", "colour": "red"}}, format="json")
    assert bad.status_code == 400
    assert sorted(error["attr"] for error in bad.json()["errors"]) == ["custom_data.colour", "custom_data.seats"]
    good = client.patch(url(customer), {"custom_data": {"seats": 12, "renewal": "2027-01-31"}}, format="json")
    assert good.json()["custom_data"] == {"seats": "12", "renewal": "2027-01-31"}
    # An empty value removes the key, the others stay.
    cleared = client.patch(url(customer), {"custom_data": {"seats": ""}}, format="json")
    assert cleared.json()["custom_data"] == {"renewal": "2027-01-31"}


def test_a_required_custom_field_is_required_on_create(api_client, owner):
    CustomField.objects.create(label="Plan", key="plan", field_type="choice", choices="basic\npro", required=True)
    client = api_client(owner)
    missing = client.post(URL, {"last_name": "Hopper"}, format="json")
    assert [error["attr"] for error in missing.json()["errors"]] == ["custom_data.plan"]
    wrong = client.post(URL, {"last_name": "Hopper", "custom_data": {"plan": "gold"}}, format="json")
    assert [error["attr"] for error in wrong.json()["errors"]] == ["custom_data.plan"]
    assert client.post(URL, {"last_name": "Hopper", "custom_data": {"plan": "pro"}}, format="json").status_code == 201


def test_a_taken_external_reference_is_refused(api_client, owner, customer):
    response = api_client(owner).post(URL, {"last_name": "Hopper", "external_ref": "shop-1"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "external_ref"


def test_deleting_is_soft_and_hides_the_customer(api_client, owner, customer):
    client = api_client(owner)
    assert client.delete(url(customer)).status_code == 204
    assert client.get(url(customer)).status_code == 404
    assert Customer.all_objects.get(pk=customer.pk).deleted_at is not None


def test_expand_company_nests_the_company(api_client, owner):
    company = CompanyFactory(owner=owner, name="Analytical Engines")
    customer = CustomerFactory(owner=owner, company=company)
    plain = api_client(owner).get(url(customer)).json()
    expanded = api_client(owner).get(url(customer), {"expand": "company"}).json()
    assert plain["company"] == company.pk
    assert expanded["company"]["name"] == "Analytical Engines"


# --- upsert by external reference ----------------------------------------------------------
def test_upsert_by_ref_creates_then_updates(api_client, owner):
    client = api_client(owner)
    created = client.put(f"{URL}by-ref/shop-9/", {"last_name": "Hopper"}, format="json")
    assert created.status_code == 201
    updated = client.put(f"{URL}by-ref/shop-9/", {"last_name": "Hopper", "email": "g@example.com"}, format="json")
    assert updated.status_code == 200
    assert updated.json()["id"] == created.json()["id"]
    assert Customer.objects.get(external_ref="shop-9").email == "g@example.com"


def test_upsert_by_ref_of_a_deleted_customer_is_a_404(api_client, owner, customer):
    customer.deleted_at = customer.created_at
    customer.save()
    assert api_client(owner).put(f"{URL}by-ref/shop-1/", {"last_name": "New"}, format="json").status_code == 404
    assert Customer.all_objects.filter(external_ref="shop-1").count() == 1


def test_upsert_by_ref_of_a_customer_a_support_agent_only_reads_is_a_403(api_client, agent, customer):
    assert api_client(agent).put(f"{URL}by-ref/shop-1/", {"last_name": "New"}, format="json").status_code == 403


# --- consent -------------------------------------------------------------------------------
def test_recording_consent_writes_the_log_like_the_page(api_client, owner, customer):
    client = api_client(owner)
    response = client.post(url(customer, "consent/"), {"status": "opted_in", "note": "Phone call"}, format="json")
    assert response.status_code == 201
    customer.refresh_from_db()
    assert customer.email_consent == "opted_in"
    event = ConsentEvent.objects.get(customer=customer)
    assert (event.status, event.source, event.actor, event.note) == ("opted_in", "manual", owner, "Phone call")
    assert [row["status"] for row in client.get(url(customer, "consent/")).json()] == ["opted_in"]


def test_a_support_agent_reads_the_consent_log_but_cannot_change_consent(api_client, agent, customer):
    client = api_client(agent)
    assert client.get(url(customer, "consent/")).status_code == 200
    assert client.post(url(customer, "consent/"), {"status": "opted_in"}, format="json").status_code == 403
    assert not ConsentEvent.objects.exists()


def test_an_unknown_consent_status_is_refused(api_client, owner, customer):
    response = api_client(owner).post(url(customer, "consent/"), {"status": "maybe"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "status"


def test_a_refused_owner_is_explained_in_turkish(api_client, owner, teammate, customer):
    response = api_client(owner).patch(url(customer), {"owner": teammate.pk}, format="json", HTTP_ACCEPT_LANGUAGE="tr")
    assert (
        response.json()["errors"][0]["detail"] == "Sahip atamayı yalnızca yöneticiler ve sistem yöneticileri yapabilir."
    )


def test_a_webhook_payload_carries_what_the_api_returns(api_client, owner, customer):
    customer.tags.add(TagFactory(name="vip"))
    shown = api_client(owner).get(url(customer)).json()
    assert json.loads(json.dumps(represent(Customer.objects.get(pk=customer.pk)), cls=DjangoJSONEncoder)) == shown
