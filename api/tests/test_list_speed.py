"""What keeps an API list page cheap: few queries, only the filters asked for, fields built once."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from api.serializers.customers import CustomerSerializer
from customers.tests.factories import CompanyFactory, CustomerFactory, TagFactory

URL = "/api/v1/customers/"


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_a_filter_named_in_the_query_filters_and_the_others_do_not(api_client, owner):
    won = CustomerFactory(owner=owner, lifecycle_stage="customer", country="DE")
    lead = CustomerFactory(owner=owner, lifecycle_stage="lead", country="DE")
    client = api_client(owner)
    assert ids(client.get(URL)) == {won.pk, lead.pk}
    assert ids(client.get(URL, {"lifecycle_stage": "customer"})) == {won.pk}
    assert ids(client.get(URL, {"lifecycle_stage": "customer", "country": "tr"})) == set()
    assert ids(client.get(URL, {"page_size": 1, "fields": "id"})) <= {won.pk, lead.pk}


def test_an_invalid_filter_value_is_still_a_400(api_client, owner):
    response = api_client(owner).get(URL, {"lifecycle_stage": "astronaut"})
    assert response.status_code == 400


def test_the_list_takes_the_same_queries_however_many_owners_companies_and_tags(api_client, owner, teammate):
    client = api_client(owner)
    CustomerFactory(owner=owner)
    client.get(URL)  # the token's first use is written once

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(URL).status_code == 200
        return len(captured)

    one = queries()
    for person in (owner, teammate):
        customer = CustomerFactory(owner=person, company=CompanyFactory(owner=person))
        customer.tags.add(TagFactory())
    # The token with its user, the rep's roles and teams (for the scope), the page, its
    # tags' names: the owners and companies are ids, not joined.
    assert queries() == one == 4


def test_serializer_fields_built_once_are_copied_not_shared(rf):
    first, second = CustomerSerializer().fields, CustomerSerializer().fields
    assert first.keys() == second.keys()
    assert all(first[name] is not second[name] for name in first)
    assert first["email"].parent is not second["email"].parent


def test_each_listed_customer_shows_its_own_tags_by_name(api_client, owner):
    tagged, untagged = CustomerFactory(owner=owner), CustomerFactory(owner=owner)
    tagged.tags.add(TagFactory(name="vip"), TagFactory(name="gold"))
    rows = {row["id"]: row for row in api_client(owner).get(URL).json()["results"]}
    assert rows[tagged.pk]["tags"] == ["gold", "vip"]
    assert rows[untagged.pk]["tags"] == []
    assert "tags" not in api_client(owner).get(URL, {"fields": "id,email"}).json()["results"][0]


def test_the_column_readers_represent_a_customer_exactly_as_drf_does(owner):
    company = CompanyFactory(owner=owner)
    customer = CustomerFactory(owner=owner, company=company, custom_data={"plan": "pro"})
    customer.tags.add(TagFactory(name="vip"))
    bare = CustomerFactory(owner=None, company=None)

    def both(record, query: dict) -> tuple[dict, dict]:
        request = Request(APIRequestFactory().get(URL, query))
        request.user = owner
        serializer = CustomerSerializer(context={"request": request})
        return serializer.to_representation(record), serializers.ModelSerializer.to_representation(serializer, record)

    for record in (customer, bare):
        for query in ({}, {"expand": "company"}):
            ours, drfs = both(record, query)
            assert ours == drfs
    assert both(customer, {})[0]["company"] == company.pk
    assert both(customer, {"expand": "company"})[0]["company"]["name"] == company.name
    assert both(bare, {})[0]["owner"] is None
