"""Finished events are forgotten after CRM_WEBHOOKS_KEEP_DAYS; unfinished ones are kept."""

from datetime import timedelta

import pytest
from django.utils import timezone

from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEvent
from webhooks.services import delivery

pytestmark = pytest.mark.django_db

Status = WebhookDelivery.Status


def _event(make_endpoint, *, days_old: int, status: str) -> WebhookEvent:
    endpoint = make_endpoint("https://example.com/hook")
    event = WebhookEvent.objects.create(
        name="customer.created", payload={}, created_at=timezone.now() - timedelta(days=days_old)
    )
    row = WebhookDelivery.objects.create(event=event, endpoint=endpoint, status=status)
    WebhookAttempt.objects.create(delivery=row, status_code=200)
    return event


def test_old_finished_events_go_with_their_deliveries_and_attempts(make_endpoint, settings):
    settings.CRM_WEBHOOKS_KEEP_DAYS = 30
    old_done = _event(make_endpoint, days_old=31, status=Status.SUCCEEDED)
    old_failed = _event(make_endpoint, days_old=40, status=Status.FAILED)
    old_waiting = _event(make_endpoint, days_old=45, status=Status.PENDING)
    recent = _event(make_endpoint, days_old=2, status=Status.SUCCEEDED)

    assert delivery.events_prune() == 2

    assert set(WebhookEvent.objects.values_list("pk", flat=True)) == {old_waiting.pk, recent.pk}
    assert not WebhookDelivery.objects.filter(event_id__in=[old_done.pk, old_failed.pk]).exists()
    assert WebhookAttempt.objects.count() == 2
