"""What keeps an API list page cheap: few queries, only the filters asked for, fields built once."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

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
    # The token with its user, the rep's roles (for the scope), the page, its tags: the
    # owners and companies are ids, not joined.
    assert queries() == one == 4


def test_serializer_fields_built_once_are_copied_not_shared(rf):
    first, second = CustomerSerializer().fields, CustomerSerializer().fields
    assert first.keys() == second.keys()
    assert all(first[name] is not second[name] for name in first)
    assert first["email"].parent is not second["email"].parent
