"""Writes for webhook endpoints: register, change, rotate the secret, resend, test."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from crm_project.events import EVENTS

from ..models import WebhookDelivery, WebhookEndpoint, WebhookEvent, new_secret
from ..security import UnsafeUrl, url_check
from .delivery import deliveries_create, deliveries_enqueue

TEST_EVENT = "webhook.test"


def _validate(*, url: str, events: list[str]) -> None:
    errors = {}
    try:
        url_check(url)
    except UnsafeUrl as refusal:
        errors["url"] = str(refusal)
    unknown = [name for name in events if name not in EVENTS]
    if unknown:
        errors["events"] = ", ".join(unknown)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def webhook_endpoint_create(
    *, name: str, url: str, events: list[str], actor: User | None, is_active: bool = True
) -> WebhookEndpoint:
    """Register an endpoint; `actor` owns it (told when it is disabled)."""
    _validate(url=url, events=events)
    return WebhookEndpoint.objects.create(name=name, url=url, events=sorted(events), is_active=is_active, owner=actor)


@transaction.atomic
def webhook_endpoint_update(
    *, endpoint: WebhookEndpoint, name: str, url: str, events: list[str], is_active: bool, actor: User
) -> WebhookEndpoint:
    """Change an endpoint. Enabling a disabled one starts afresh: its waiting deliveries go out again."""
    _validate(url=url, events=events)
    endpoint.name, endpoint.url, endpoint.events = name, url, sorted(events)
    if is_active and not endpoint.is_active:
        endpoint.disabled_at, endpoint.disabled_reason, endpoint.failing_since = None, "", None
    endpoint.is_active = is_active
    endpoint.save()
    if endpoint.is_active:
        _send_waiting(endpoint)
    return endpoint


def _send_waiting(endpoint: WebhookEndpoint) -> None:
    """Deliveries left pending while the endpoint was off are due now."""
    waiting = WebhookDelivery.objects.filter(endpoint=endpoint, status=WebhookDelivery.Status.PENDING)
    ids = list(waiting.values_list("pk", flat=True)[:10_000])
    if ids:
        waiting.filter(pk__in=ids).update(next_attempt_at=timezone.now(), lease_until=None)
        transaction.on_commit(lambda: deliveries_enqueue(ids=ids))


@transaction.atomic
def webhook_endpoint_rotate_secret(*, endpoint: WebhookEndpoint, actor: User) -> WebhookEndpoint:
    """A new signing secret; deliveries sent from now on are signed with it."""
    endpoint.secret = new_secret()
    endpoint.save(update_fields=["secret", "updated_at"])
    return endpoint


@transaction.atomic
def webhook_endpoint_delete(*, endpoint: WebhookEndpoint, actor: User) -> None:
    endpoint.delete()


@transaction.atomic
def delivery_resend(*, delivery: WebhookDelivery, actor: User) -> WebhookDelivery:
    """A new delivery of the same event (same payload) to the same endpoint, with a new webhook-id."""
    return deliveries_create(event=delivery.event, endpoint_ids=[delivery.endpoint_id])[0]


@transaction.atomic
def webhook_test_send(*, endpoint: WebhookEndpoint, actor: User) -> WebhookDelivery:
    """A `webhook.test` event to this endpoint only, whatever it subscribes to."""
    payload = {
        "type": TEST_EVENT,
        "timestamp": timezone.now().isoformat(),
        "data": {"endpoint": endpoint.pk, "sent_by": actor.get_username()},
    }
    event = WebhookEvent.objects.create(name=TEST_EVENT, payload=payload)
    return deliveries_create(event=event, endpoint_ids=[endpoint.pk])[0]
