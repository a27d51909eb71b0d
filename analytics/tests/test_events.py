"""The analytics event (crm_project.events): a finished RFM run tells the sinks once,
inside the transaction that stores it."""

from datetime import UTC, date, datetime

import pytest
from django.db import transaction

from analytics.models import RfmRun
from analytics.services import rfm_score_run
from analytics.tests.helpers import order
from customers.tests.factories import CustomerFactory

AS_OF = date(2026, 3, 10)


class Rollback(Exception):
    pass


@pytest.fixture
def ordering_customer(db):
    customer = CustomerFactory()
    order(customer, datetime(2026, 3, 1, 12, tzinfo=UTC))
    return customer


def test_a_scoring_run_emits_rfm_run_completed_once_with_the_finished_run(emitted, ordering_customer, manager):
    run = rfm_score_run(as_of=AS_OF, trigger=RfmRun.Trigger.USER, actor=manager)
    assert emitted == [{"name": "rfm.run_completed", "instance": run, "actor": manager, "data": {}}]
    announced = emitted[0]["instance"]
    assert announced.finished_at is not None and announced.n_scored == 1


def test_a_scheduled_run_is_announced_without_an_actor(emitted, ordering_customer):
    run = rfm_score_run(as_of=AS_OF, trigger=RfmRun.Trigger.SCHEDULE)
    assert [(e["name"], e["instance"], e["actor"]) for e in emitted] == [("rfm.run_completed", run, None)]


def test_a_finished_run_writes_one_event_and_a_delivery_per_subscribed_endpoint(webhook_outbox, ordering_customer):
    webhook_outbox.subscribe("rfm.run_completed")
    webhook_outbox.subscribe("rfm.run_completed", "deal.won")
    rfm_score_run(as_of=AS_OF)
    assert webhook_outbox.events() == ["rfm.run_completed"]
    assert webhook_outbox.deliveries() == 2


def test_a_rolled_back_run_leaves_the_outbox_empty(webhook_outbox, ordering_customer):
    webhook_outbox.subscribe("rfm.run_completed")
    with pytest.raises(Rollback), transaction.atomic():
        rfm_score_run(as_of=AS_OF)
        raise Rollback
    assert webhook_outbox.events() == []
    assert webhook_outbox.deliveries() == 0


def test_nothing_is_written_when_no_endpoint_subscribes(webhook_outbox, ordering_customer):
    webhook_outbox.subscribe("deal.won")
    rfm_score_run(as_of=AS_OF)
    assert webhook_outbox.events() == []
    assert webhook_outbox.deliveries() == 0
