"""An endpoint failing for CRM_WEBHOOKS_DISABLE_AFTER_HOURS is disabled and its owner told."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django.utils import timezone

from accounts.models import Notification
from crm_project.events import event_emit
from customers.tests.factories import CustomerFactory
from webhooks.models import WebhookDelivery
from webhooks.receiver import Receiver
from webhooks.services import delivery

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_allowed")]


def _fail_for(hours: float, *, start, receiver) -> None:
    """Beat's sweeps while the receiver answers 500, the clock moving on an hour at a time."""
    with time_machine.travel(start, tick=False) as clock:
        for _hour in range(int(hours) + 1):
            WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING).update(next_attempt_at=timezone.now())
            delivery.deliveries_due()
            clock.shift(timedelta(hours=1))


def test_an_endpoint_failing_for_a_day_is_disabled_and_its_owner_notified(
    make_endpoint, manager, django_capture_on_commit_callbacks
):
    start = timezone.now()
    with Receiver(statuses=[500]) as receiver:
        endpoint = make_endpoint(receiver.url)
        with transaction.atomic():
            event_emit("customer.created", instance=CustomerFactory())
        with django_capture_on_commit_callbacks(execute=True):
            _fail_for(25, start=start, receiver=receiver)

    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert endpoint.disabled_at is not None
    assert "24 hours" in endpoint.disabled_reason
    note = Notification.objects.get(user=manager)
    assert endpoint.name in note.text
    assert note.url == f"/webhooks/{endpoint.pk}/"
    assert mail.outbox[0].to == [manager.email]
    # Its delivery gave up too: no more retries once the day is over.
    assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.FAILED


def test_an_endpoint_failing_for_less_than_a_day_stays_active(make_endpoint, manager):
    start = timezone.now()
    with Receiver(statuses=[500]) as receiver:
        endpoint = make_endpoint(receiver.url)
        with transaction.atomic():
            event_emit("customer.created", instance=CustomerFactory())
        _fail_for(20, start=start, receiver=receiver)

    endpoint.refresh_from_db()
    assert endpoint.is_active
    assert endpoint.failing_since is not None
    assert not Notification.objects.filter(user=manager).exists()


def test_a_success_ends_the_failing_streak(make_endpoint):
    start = timezone.now()
    with Receiver(statuses=[500, 500, 200]) as receiver:
        endpoint = make_endpoint(receiver.url)
        with transaction.atomic():
            event_emit("customer.created", instance=CustomerFactory())
        _fail_for(3, start=start, receiver=receiver)

    endpoint.refresh_from_db()
    assert endpoint.failing_since is None
    assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.SUCCEEDED


def test_the_owner_is_told_in_their_own_language(make_endpoint, manager, django_capture_on_commit_callbacks):
    manager.language = "tr"
    manager.save(update_fields=["language"])
    start = timezone.now()
    with Receiver(statuses=[503]) as receiver:
        endpoint = make_endpoint(receiver.url)
        with transaction.atomic():
            event_emit("customer.created", instance=CustomerFactory())
        _fail_for(25, start=start, receiver=receiver)

    endpoint.refresh_from_db()
    assert "devre dışı bırakıldı" in Notification.objects.get(user=manager).text
    assert "24 saat" in endpoint.disabled_reason
