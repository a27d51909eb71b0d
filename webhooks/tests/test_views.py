"""The webhook pages: managers and admins keep the endpoints; everyone else gets 403."""

import pytest
from django.urls import reverse

from webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def endpoint(manager):
    return WebhookEndpoint.objects.create(
        name="ERP", url="https://erp.example.com/hook", events=["deal.won"], owner=manager
    )


@pytest.fixture
def delivery(endpoint):
    event = WebhookEvent.objects.create(name="deal.won", payload={"type": "deal.won", "data": {"id": 7}})
    row = WebhookDelivery.objects.create(event=event, endpoint=endpoint, status=WebhookDelivery.Status.SUCCEEDED)
    row.attempts.create(status_code=200, duration_ms=12, response_excerpt="thanks")
    return row


def _pages(endpoint, delivery):
    return [
        reverse("webhooks:endpoint-list"),
        reverse("webhooks:endpoint-create"),
        reverse("webhooks:endpoint-detail", args=[endpoint.pk]),
        reverse("webhooks:endpoint-edit", args=[endpoint.pk]),
        reverse("webhooks:delivery-detail", args=[delivery.pk]),
    ]


def _actions(endpoint, delivery):
    return [
        reverse("webhooks:endpoint-test", args=[endpoint.pk]),
        reverse("webhooks:endpoint-rotate-secret", args=[endpoint.pk]),
        reverse("webhooks:delivery-resend", args=[delivery.pk]),
        reverse("webhooks:endpoint-delete", args=[endpoint.pk]),
    ]


@pytest.mark.parametrize("persona", ["manager", "admin_user"])
def test_managers_and_admins_open_every_webhook_page(persona, request, client_for, endpoint, delivery):
    client = client_for(request.getfixturevalue(persona))
    for url in _pages(endpoint, delivery):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("persona", ["owner", "agent", "outsider"])
def test_sales_reps_agents_and_outsiders_get_403_on_every_page_and_action(
    persona, request, client_for, endpoint, delivery
):
    client = client_for(request.getfixturevalue(persona))
    for url in _pages(endpoint, delivery):
        assert client.get(url).status_code == 403, url
    secret = endpoint.secret
    for url in _actions(endpoint, delivery):
        assert client.post(url).status_code == 403, url
    endpoint.refresh_from_db()
    assert endpoint.secret == secret
    assert WebhookDelivery.objects.count() == 1


def test_the_menu_shows_webhooks_to_managers_only(client_for, manager, owner):
    url = reverse("webhooks:endpoint-list")
    assert f'href="{url}"' in client_for(manager).get(reverse("home")).content.decode()
    assert f'href="{url}"' not in client_for(owner).get(reverse("home")).content.decode()


def test_a_manager_registers_an_endpoint_and_becomes_its_owner(client_for, manager, settings):
    settings.CRM_WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True
    response = client_for(manager).post(
        reverse("webhooks:endpoint-create"),
        {"name": "Shop", "url": "http://127.0.0.1:9/hook", "events": ["deal.won", "order.created"], "is_active": "on"},
    )

    endpoint = WebhookEndpoint.objects.get()
    assert response.url == reverse("webhooks:endpoint-detail", args=[endpoint.pk])
    assert (endpoint.owner, endpoint.events, endpoint.is_active) == (manager, ["deal.won", "order.created"], True)


def test_a_private_range_url_is_a_form_error(client_for, manager):
    response = client_for(manager).post(
        reverse("webhooks:endpoint-create"), {"name": "Intranet", "url": "http://10.0.0.8/hook", "events": ["deal.won"]}
    )

    assert response.status_code == 200
    assert "private" in response.context["form"].errors["url"][0]
    assert not WebhookEndpoint.objects.exists()


def test_the_endpoint_page_shows_the_secret_and_the_delivery_log_with_attempts(client_for, manager, endpoint, delivery):
    page = client_for(manager).get(reverse("webhooks:endpoint-detail", args=[endpoint.pk])).content.decode()

    assert endpoint.secret in page
    assert "deal.won" in page and "thanks" in page and "12 ms" in page


def test_resend_makes_a_new_delivery_of_the_same_event(client_for, manager, endpoint, delivery):
    client_for(manager).post(reverse("webhooks:delivery-resend", args=[delivery.pk]))

    again = WebhookDelivery.objects.exclude(pk=delivery.pk).get()
    assert again.event_id == delivery.event_id
    assert again.message_id != delivery.message_id


def test_rotating_the_secret_makes_a_new_one(client_for, manager, endpoint):
    old = endpoint.secret
    client_for(manager).post(reverse("webhooks:endpoint-rotate-secret", args=[endpoint.pk]))
    endpoint.refresh_from_db()
    assert endpoint.secret != old and endpoint.secret.startswith("whsec_")


def test_a_test_event_goes_to_this_endpoint_only(client_for, manager, endpoint):
    other = WebhookEndpoint.objects.create(name="Other", url="https://x.example.com/", events=["deal.won"])
    client_for(manager).post(reverse("webhooks:endpoint-test", args=[endpoint.pk]))

    sent = WebhookDelivery.objects.get()
    assert (sent.endpoint, sent.event.name) == (endpoint, "webhook.test")
    assert not other.deliveries.exists()


def test_enabling_a_disabled_endpoint_clears_why_it_was_disabled(client_for, manager, endpoint, monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(
        "webhooks.security._resolve", lambda host, port: [__import__("ipaddress").ip_address("93.184.215.14")]
    )
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        is_active=False, disabled_at=timezone.now(), disabled_reason="x"
    )
    client_for(manager).post(
        reverse("webhooks:endpoint-edit", args=[endpoint.pk]),
        {"name": "ERP", "url": endpoint.url, "events": ["deal.won"], "is_active": "on"},
    )
    endpoint.refresh_from_db()
    assert endpoint.is_active and endpoint.disabled_at is None and endpoint.disabled_reason == ""


def test_the_pages_read_in_turkish(client_for, manager, endpoint):
    page = client_for(manager).get(reverse("webhooks:endpoint-detail", args=[endpoint.pk]), HTTP_ACCEPT_LANGUAGE="tr")
    assert "Teslimat günlüğü" in page.content.decode()


def test_the_endpoint_list_counts_waiting_and_failed_deliveries(client_for, manager, endpoint, delivery):
    Status = WebhookDelivery.Status
    for status in (Status.PENDING, Status.PENDING, Status.FAILED):
        WebhookDelivery.objects.create(event=delivery.event, endpoint=endpoint, status=status)

    response = client_for(manager).get(reverse("webhooks:endpoint-list"))

    [row] = response.context["table"].page.object_list
    assert (row.record.waiting_count, row.record.failed_count) == (2, 1)
