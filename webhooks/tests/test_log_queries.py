"""The delivery log's queries do not grow with its rows (attempts come in one prefetch)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent

pytestmark = pytest.mark.django_db


def _deliveries(endpoint, count: int) -> None:
    for _n in range(count):
        event = WebhookEvent.objects.create(name="deal.won", payload={"type": "deal.won"})
        row = WebhookDelivery.objects.create(event=event, endpoint=endpoint)
        row.attempts.create(status_code=500, duration_ms=3)
        row.attempts.create(status_code=200, duration_ms=4)


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_delivery_log_takes_as_many_queries_for_ten_deliveries_as_for_two(client_for, manager):
    endpoint = WebhookEndpoint.objects.create(name="ERP", url="https://erp.example.com/", events=["deal.won"])
    url = reverse("webhooks:endpoint-detail", args=[endpoint.pk])
    client = client_for(manager)
    _deliveries(endpoint, 2)
    client.get(url)  # warm the session and the caches
    few = _queries(client, url)
    _deliveries(endpoint, 8)
    assert _queries(client, url) == few
