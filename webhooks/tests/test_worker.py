"""A real Celery worker (Redis) delivers webhooks; one killed mid-request has its delivery sent again."""

import pytest
from django.db import transaction

from crm_project.events import event_emit
from customers.tests.factories import CustomerFactory
from jobs.tests.worker import kill_worker, start_worker, stop_worker, using_broker, wait_for
from webhooks.models import WebhookDelivery
from webhooks.receiver import Receiver
from webhooks.services import delivery

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

LEASE = 3  # seconds: a dead worker's deliveries are due again this soon
ENV = {"CRM_WEBHOOKS_ALLOW_PRIVATE_NETWORKS": "1", "CRM_WEBHOOKS_LEASE_SECONDS": str(LEASE)}


@pytest.fixture
def endpoint(settings, manager):
    from webhooks.models import WebhookEndpoint

    settings.CRM_WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True
    settings.CRM_WEBHOOKS_LEASE_SECONDS = LEASE

    def make(url):
        return WebhookEndpoint.objects.create(name="Shop", url=url, events=["customer.created"], owner=manager)

    return make


def _emit():
    customer = CustomerFactory()
    with transaction.atomic():
        event_emit("customer.created", instance=customer)


def _status() -> str:
    return WebhookDelivery.objects.get().status


def test_a_real_worker_delivers_a_committed_event(tmp_path, endpoint):
    with Receiver() as receiver, using_broker("redis", tmp_path) as broker:
        endpoint(receiver.url)
        worker = start_worker(tmp_path, env={**broker, **ENV})
        try:
            _emit()
            assert wait_for(lambda: _status() == WebhookDelivery.Status.SUCCEEDED, seconds=30), (
                tmp_path / "worker.log"
            ).read_text()[-3000:]
        finally:
            stop_worker(worker)
    assert len(receiver.received) == 1


def test_a_worker_killed_while_the_receiver_holds_its_request_has_the_delivery_sent_again(tmp_path, endpoint):
    with Receiver(delay=60) as receiver, using_broker("redis", tmp_path) as broker:
        endpoint(receiver.url)
        env = {**broker, **ENV, "CRM_WEBHOOKS_TIMEOUT_SECONDS": "60"}
        first = start_worker(tmp_path, name="first", env=env)
        try:
            _emit()
            assert receiver.held.wait(30), (tmp_path / "first.log").read_text()[-3000:]
            kill_worker(first)
        finally:
            stop_worker(first)
        receiver.release.set()  # the held answer goes to a dead connection
        assert _status() == WebhookDelivery.Status.DELIVERING
        second = start_worker(tmp_path, name="second", env=env)
        try:

            def recovered():
                delivery.deliveries_due()  # what beat does every 15 s
                return _status() == WebhookDelivery.Status.SUCCEEDED

            assert wait_for(recovered, seconds=60, every=1), (tmp_path / "second.log").read_text()[-3000:]
        finally:
            stop_worker(second)

    row = WebhookDelivery.objects.get()
    assert [r.headers["webhook-id"] for r in receiver.received] == [row.message_id] * 2
    assert [a.status_code for a in row.attempts.all()] == [200]
