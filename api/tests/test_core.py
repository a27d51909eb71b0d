"""The API's core, through the customers resource: tokens, scopes, errors, idempotency,
cursor pages, rate limits, request logs, ?fields=/?expand= and the list's query count."""

import logging
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from api.models import ApiToken, IdempotencyKey
from api.tests.conftest import token_for
from customers.models import Customer, Interaction
from customers.tests.factories import CompanyFactory, CustomerFactory, TagFactory

URL = "/api/v1/customers/"


def bearer(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


# --- tokens ---------------------------------------------------------------------------------
def test_a_token_is_stored_hashed_never_as_itself(owner):
    raw = token_for(owner)
    stored = list(ApiToken.objects.values_list())
    assert raw.startswith("crm_")
    assert raw not in repr(stored)
    assert bearer(raw).get(URL).status_code == 200


def test_an_expired_token_is_refused_with_401_and_kept(owner):
    raw = token_for(owner, expiry=timedelta(days=1))
    ApiToken.objects.update(expiry=timezone.now() - timedelta(seconds=1))
    response = bearer(raw).get(URL)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert ApiToken.objects.filter(user=owner).exists()


def test_a_revoked_or_made_up_token_is_refused(owner):
    raw = token_for(owner)
    ApiToken.objects.all().delete()
    assert bearer(raw).get(URL).status_code == 401
    assert bearer("crm_" + "0" * 60).get(URL).status_code == 401


def test_a_tokens_last_use_is_recorded_at_most_once_a_minute(owner):
    raw = token_for(owner)
    assert ApiToken.objects.get().last_used_at is None
    bearer(raw).get(URL)
    first = ApiToken.objects.get().last_used_at
    assert first is not None
    bearer(raw).get(URL)
    assert ApiToken.objects.get().last_used_at == first


def test_a_read_only_token_reads_but_gets_403_on_writes(api_client, owner):
    customer = CustomerFactory(owner=owner)
    client = api_client(owner, scopes=("read",))
    assert client.get(f"{URL}{customer.pk}/").status_code == 200
    assert client.post(URL, {"last_name": "New"}, format="json").status_code == 403
    assert client.patch(f"{URL}{customer.pk}/", {"notes": "x"}, format="json").status_code == 403
    assert client.delete(f"{URL}{customer.pk}/").status_code == 403
    assert Customer.objects.count() == 1
    assert Customer.objects.get().notes == ""


def test_a_token_limited_to_other_apps_gets_403_here(api_client, owner):
    assert api_client(owner, apps=("sales",)).get(URL).status_code == 403
    assert api_client(owner, apps=("customers",)).get(URL).status_code == 200


def test_without_a_token_the_answer_is_401_problem_details():
    response = APIClient().get(URL)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"] == "Bearer"
    assert response.json()["type"] == "/api/problems/not_authenticated/"


# --- problem details ------------------------------------------------------------------------
def test_a_validation_error_is_a_problem_naming_the_fields_and_changes_nothing(api_client, owner):
    response = api_client(owner).post(
        URL, {"first_name": "Ada", "email": "not-an-email", "country": "Germany"}, format="json"
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert {"type", "title", "status", "detail", "instance", "errors"} <= problem.keys()
    assert (problem["status"], problem["instance"]) == (400, URL)
    assert sorted(error["attr"] for error in problem["errors"]) == ["country", "email", "last_name"]
    assert not Customer.objects.exists()
    assert not Interaction.objects.exists()


def test_a_missing_record_is_a_404_problem(api_client, owner):
    response = api_client(owner).get(f"{URL}999999/")
    assert response.status_code == 404
    assert response.json()["status"] == 404


# --- Idempotency-Key ------------------------------------------------------------------------
def test_a_retried_post_creates_one_record_and_replays_the_first_response(api_client, owner):
    client = api_client(owner)
    first = client.post(URL, {"last_name": "Hopper"}, format="json", HTTP_IDEMPOTENCY_KEY="key-1")
    retry = client.post(URL, {"last_name": "Hopper"}, format="json", HTTP_IDEMPOTENCY_KEY="key-1")
    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Customer.objects.filter(last_name="Hopper").count() == 1


def test_the_same_key_with_another_body_is_a_422(api_client, owner):
    client = api_client(owner)
    client.post(URL, {"last_name": "Hopper"}, format="json", HTTP_IDEMPOTENCY_KEY="key-1")
    other = client.post(URL, {"last_name": "Lovelace"}, format="json", HTTP_IDEMPOTENCY_KEY="key-1")
    assert other.status_code == 422
    assert other.json()["type"] == "/api/problems/idempotency_key_reused/"
    assert list(Customer.objects.values_list("last_name", flat=True)) == ["Hopper"]


def test_a_failed_request_does_not_use_up_its_key(api_client, owner):
    client = api_client(owner)
    failed = client.post(URL, {"first_name": "Grace"}, format="json", HTTP_IDEMPOTENCY_KEY="key-1")
    assert failed.status_code == 400
    assert not IdempotencyKey.objects.exists()
    fixed = client.post(
        URL, {"first_name": "Grace", "last_name": "Hopper"}, format="json", HTTP_IDEMPOTENCY_KEY="key-1"
    )
    assert fixed.status_code == 201
    assert "Idempotent-Replayed" not in fixed


def test_keys_are_per_user(api_client, owner, teammate):
    api_client(owner).post(URL, {"last_name": "Hopper"}, format="json", HTTP_IDEMPOTENCY_KEY="key-1")
    theirs = api_client(teammate).post(URL, {"last_name": "Hopper"}, format="json", HTTP_IDEMPOTENCY_KEY="key-1")
    assert theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs
    assert Customer.objects.filter(last_name="Hopper").count() == 2


# --- cursor pages ---------------------------------------------------------------------------
def test_cursor_pages_neither_repeat_nor_skip_rows_while_rows_are_inserted(api_client, owner):
    original = {CustomerFactory(owner=owner).pk for _ in range(7)}
    client = api_client(owner)
    seen: list[int] = []
    page = client.get(URL, {"page_size": 3}).json()
    while True:
        seen += [row["id"] for row in page["results"]]
        CustomerFactory(owner=owner)  # a concurrent insert between two page fetches
        if not page["next"]:
            break
        page = client.get(page["next"]).json()
    assert len(seen) == len(set(seen))
    assert original <= set(seen)


def test_the_page_size_is_capped(api_client, owner, settings):
    for _ in range(3):
        CustomerFactory(owner=owner)
    response = api_client(owner).get(URL, {"page_size": 10_000})
    assert response.status_code == 200
    assert len(response.json()["results"]) == 3


# --- rate limits ----------------------------------------------------------------------------
@pytest.fixture
def burst_of_two(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"burst": "2/min", "sustained": "1000/day"},
    }


def test_a_burst_past_the_rate_is_a_429_with_retry_after(api_client, owner, burst_of_two):
    client = api_client(owner)
    statuses = [client.get(URL).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    response = client.get(URL)
    assert int(response["Retry-After"]) > 0
    assert response["Content-Type"] == "application/problem+json"


def test_rate_limits_are_counted_per_token(api_client, owner, burst_of_two):
    busy = api_client(owner)
    for _ in range(3):
        busy.get(URL)
    assert api_client(owner).get(URL).status_code == 200


# --- request log ----------------------------------------------------------------------------
def test_the_request_log_names_the_request_without_its_token_or_body(caplog, owner):
    raw = token_for(owner)
    with caplog.at_level(logging.INFO, logger="crm.api"):
        bearer(raw).post(f"{URL}?secret=zebra-query", {"last_name": "zebra-body"}, format="json")
    lines = [record.getMessage() for record in caplog.records if record.name == "crm.api"]
    assert len(lines) == 1
    assert lines[0].startswith(f"api POST {URL} 201 user={owner.pk} token=test")
    logged = caplog.text
    assert raw not in logged
    assert raw[:12] not in logged
    assert "zebra" not in logged


# --- ?fields= and ?expand= ------------------------------------------------------------------------
def test_fields_trims_the_response(api_client, owner):
    customer = CustomerFactory(owner=owner)
    assert api_client(owner).get(f"{URL}{customer.pk}/", {"fields": "id,email"}).json() == {
        "id": customer.pk,
        "email": customer.email,
    }


def test_expand_nests_the_relation_in_lists_too(api_client, owner):
    CustomerFactory(owner=owner, company=CompanyFactory(owner=owner, name="Navy"))
    rows = api_client(owner).get(URL, {"expand": "company", "fields": "id,company"}).json()["results"]
    assert rows[0]["company"]["name"] == "Navy"
    assert set(rows[0]) == {"id", "company"}


def test_an_unknown_expansion_is_ignored(api_client, owner):
    customer = CustomerFactory(owner=owner)
    assert api_client(owner).get(f"{URL}{customer.pk}/", {"expand": "owner"}).json()["owner"] == owner.pk


# --- query count ----------------------------------------------------------------------------
def _list_queries(client, params) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL, params).status_code == 200
    return len(queries)


@pytest.mark.parametrize("persona", ["owner", "manager"])
def test_the_customer_list_query_count_does_not_grow_with_its_rows(request, api_client, persona, owner):
    def add_customers(count):
        for _ in range(count):
            customer = CustomerFactory(owner=owner, company=CompanyFactory(owner=owner))
            customer.tags.add(TagFactory(), TagFactory())

    client = api_client(request.getfixturevalue(persona))
    client.get(URL)  # the token's last use and the cached custom fields are written once
    add_customers(1)
    one = _list_queries(client, {"expand": "company"})
    add_customers(24)
    assert _list_queries(client, {"expand": "company"}) == one


def test_the_customer_list_takes_few_queries(api_client, owner, django_assert_max_num_queries):
    for _ in range(10):
        CustomerFactory(owner=owner, company=CompanyFactory(owner=owner)).tags.add(TagFactory())
    client = api_client(owner)
    client.get(URL)
    # The token, the user's roles, the page and its tags.
    with django_assert_max_num_queries(4):
        client.get(URL, {"expand": "company"})
