"""The event sink (settings.CRM_EVENT_SINKS): events into the webhook outbox.

Called inside the transaction of the change, so the outbox rows commit or roll back
with it; the delivery tasks are enqueued only after the commit, in batches
(webhooks.services.delivery.deliveries_create).
"""

from django.utils import timezone

from api.representations import represent

from .models import WebhookEndpoint, WebhookEvent
from .services.delivery import deliveries_create


def _subscribed_endpoint_ids(name: str) -> list[int]:
    # A handful of rows; filtered in Python because SQLite has no JSON containment.
    rows = WebhookEndpoint.objects.filter(is_active=True).values_list("pk", "events")
    return [pk for pk, events in rows if name in events]


def outbox_sink(*, name: str, instance, actor, data: dict) -> None:
    endpoint_ids = _subscribed_endpoint_ids(name)
    if not endpoint_ids:
        return
    payload = {"type": name, "timestamp": timezone.now().isoformat(), "data": represent(instance)}
    if data:
        payload["context"] = data
    event = WebhookEvent.objects.create(name=name, payload=payload)
    deliveries_create(event=event, endpoint_ids=endpoint_ids)
