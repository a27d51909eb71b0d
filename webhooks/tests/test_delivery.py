"""Delivering the outbox to a real HTTP receiver on a free port."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from standardwebhooks import Webhook

from crm_project.events import event_emit
from customers.tests.factories import CustomerFactory
from webhooks.models import WebhookAttempt, WebhookDelivery
from webhooks.receiver import Receiver
from webhooks.services import delivery

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_allowed")]

Status = WebhookDelivery.Status


def _emit(django_capture_on_commit_callbacks, name="customer.created"):
    """A committed change that emits `name`; the on-commit task runs inline (eager Celery)."""
    customer = CustomerFactory()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        event_emit(name, instance=customer)
    return customer


def _retry_now():
    """As beat would once the retry is due."""
    WebhookDelivery.objects.filter(status=Status.PENDING).update(next_attempt_at=timezone.now())
    delivery.deliveries_due()


def test_a_committed_event_reaches_the_receiver_signed_by_the_endpoints_secret(
    receiver, make_endpoint, django_capture_on_commit_callbacks
):
    endpoint = make_endpoint(receiver.url)
    customer = _emit(django_capture_on_commit_callbacks)

    [request] = receiver.received
    payload = Webhook(endpoint.secret).verify(request.body, request.headers)
    assert payload["type"] == "customer.created"
    assert payload["data"]["id"] == customer.pk
    row = WebhookDelivery.objects.get()
    assert request.headers["webhook-id"] == row.message_id
    assert row.status == Status.SUCCEEDED
    assert row.attempts.get().status_code == 200


def test_a_500_then_a_200_gives_two_attempts_and_one_success_with_the_same_webhook_id(
    make_endpoint, django_capture_on_commit_callbacks
):
    with Receiver(statuses=[500, 200], reply="busy") as receiver:
        make_endpoint(receiver.url)
        _emit(django_capture_on_commit_callbacks)
        row = WebhookDelivery.objects.get()
        assert row.status == Status.PENDING
        assert row.next_attempt_at <= timezone.now() + timedelta(seconds=30)
        with django_capture_on_commit_callbacks(execute=True):
            _retry_now()

    row.refresh_from_db()
    assert row.status == Status.SUCCEEDED
    assert [a.status_code for a in row.attempts.all()] == [500, 200]
    assert row.attempts.first().response_excerpt == "busy"
    assert [r.headers["webhook-id"] for r in receiver.received] == [row.message_id] * 2
    # Done: a later sweep or a redelivered task sends nothing more.
    delivery.deliveries_send(ids=[row.pk])
    _retry_now()
    assert len(receiver.received) == 2


def test_a_rolled_back_transaction_sends_nothing(receiver, make_endpoint, django_capture_on_commit_callbacks):
    make_endpoint(receiver.url)
    customer = CustomerFactory()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        with transaction.atomic():
            event_emit("customer.created", instance=customer)
            raise RuntimeError("the change fails")

    assert not WebhookDelivery.objects.exists()
    delivery.deliveries_due()
    assert receiver.received == []


@pytest.mark.parametrize("status", [400, 404, 410, 302])
def test_a_client_error_or_a_redirect_is_not_retried(status, make_endpoint, django_capture_on_commit_callbacks):
    with Receiver(statuses=[status]) as receiver:
        make_endpoint(receiver.url)
        _emit(django_capture_on_commit_callbacks)
        _retry_now()

    row = WebhookDelivery.objects.get()
    assert row.status == Status.FAILED
    assert row.attempt_count == 1
    assert len(receiver.received) == 1


@pytest.mark.parametrize("status", [408, 429, 503])
def test_a_timeout_answer_a_rate_limit_or_a_server_error_is_retried(
    status, make_endpoint, django_capture_on_commit_callbacks
):
    with Receiver(statuses=[status, 204]) as receiver:
        make_endpoint(receiver.url)
        _emit(django_capture_on_commit_callbacks)
        assert WebhookDelivery.objects.get().status == Status.PENDING
        with django_capture_on_commit_callbacks(execute=True):
            _retry_now()

    assert WebhookDelivery.objects.get().status == Status.SUCCEEDED
    assert len(receiver.received) == 2


def test_a_receiver_that_does_not_answer_in_time_is_a_timeout_retried_later(
    make_endpoint, django_capture_on_commit_callbacks, settings
):
    settings.CRM_WEBHOOKS_TIMEOUT_SECONDS = 0.3
    with Receiver(delay=5) as receiver:
        make_endpoint(receiver.url)
        _emit(django_capture_on_commit_callbacks)

    row = WebhookDelivery.objects.get()
    attempt = row.attempts.get()
    assert row.status == Status.PENDING
    assert attempt.status_code is None
    assert attempt.error.startswith("Timed out")


def test_a_closed_port_is_a_connection_error_retried_later(make_endpoint, django_capture_on_commit_callbacks):
    receiver = Receiver().start()
    url = receiver.url
    receiver.stop()  # nothing listens there any more
    make_endpoint(url)
    _emit(django_capture_on_commit_callbacks)

    row = WebhookDelivery.objects.get()
    assert row.status == Status.PENDING
    assert row.attempts.get().error.startswith("Connection failed")


def test_retries_back_off_exponentially_from_within_30_seconds_to_at_most_an_hour():
    firsts = [delivery.retry_delay(attempt=1).total_seconds() for _ in range(20)]
    assert all(5 <= s <= 30 for s in firsts)
    assert 15 <= delivery.retry_delay(attempt=2).total_seconds() <= 20
    assert delivery.retry_delay(attempt=30).total_seconds() <= 3600


def test_a_response_excerpt_keeps_the_first_1000_characters(make_endpoint, django_capture_on_commit_callbacks):
    with Receiver(reply="x" * 5000) as receiver:
        make_endpoint(receiver.url)
        _emit(django_capture_on_commit_callbacks)

    assert len(WebhookAttempt.objects.get().response_excerpt) == 1000


def test_a_delivery_held_by_a_live_worker_is_not_claimed_twice(receiver, make_endpoint):
    endpoint = make_endpoint(receiver.url)
    customer = CustomerFactory()
    with transaction.atomic():
        event_emit("customer.created", instance=customer)
    row = WebhookDelivery.objects.get(endpoint=endpoint)
    WebhookDelivery.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())

    assert delivery.deliveries_claim(ids=[row.pk]) == [row.pk]
    assert delivery.deliveries_claim(ids=[row.pk]) == []
    assert delivery.deliveries_send(ids=[row.pk]) == {"claimed": 0}
    assert receiver.received == []


def test_a_delivery_whose_worker_died_is_sent_again_after_its_lease(receiver, make_endpoint):
    endpoint = make_endpoint(receiver.url)
    customer = CustomerFactory()
    with transaction.atomic():
        event_emit("customer.created", instance=customer)
    row = WebhookDelivery.objects.get(endpoint=endpoint)
    # A worker claimed it, then died before sending: its lease has run out.
    WebhookDelivery.objects.filter(pk=row.pk).update(
        status=Status.DELIVERING, lease_until=timezone.now() - timedelta(seconds=1)
    )

    delivery.deliveries_due()

    row.refresh_from_db()
    assert row.status == Status.SUCCEEDED
    assert len(receiver.received) == 1


def test_an_inactive_endpoint_gets_nothing_until_it_is_enabled(
    receiver, make_endpoint, django_capture_on_commit_callbacks
):
    endpoint = make_endpoint(receiver.url)
    customer = CustomerFactory()
    with transaction.atomic():
        event_emit("customer.created", instance=customer)
    endpoint.is_active = False
    endpoint.save()
    _retry_now()
    assert receiver.received == []
