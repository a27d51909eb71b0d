import pytest
from django.urls import reverse

from webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent

pytestmark = pytest.mark.django_db


def test_admins_read_endpoints_and_deliveries_in_the_admin_without_the_secret(client_for, admin_user):
    endpoint = WebhookEndpoint.objects.create(name="ERP", url="https://erp.example.com/", events=["deal.won"])
    event = WebhookEvent.objects.create(name="deal.won", payload={})
    WebhookDelivery.objects.create(event=event, endpoint=endpoint)
    client = client_for(admin_user)

    assert "ERP" in client.get(reverse("admin:webhooks_webhookendpoint_changelist")).content.decode()
    page = client.get(reverse("admin:webhooks_webhookendpoint_change", args=[endpoint.pk])).content.decode()
    assert endpoint.secret not in page
    assert client.get(reverse("admin:webhooks_webhookdelivery_changelist")).status_code == 200
