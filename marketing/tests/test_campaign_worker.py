"""A real worker (Redis) sends a campaign to an aiosmtpd sink exactly once, also
when it is SIGKILLed while the sink holds its reply to one message."""

import time
from collections import Counter

import pytest

from crm_project.smtp_sink import Sink, SinkHandler
from customers.models import Customer
from customers.tests.factories import CustomerFactory
from jobs.tests.worker import kill_worker, running_worker, start_worker, stop_worker, using_broker, wait_for
from marketing.models import Campaign
from marketing.services import campaigns, sending

from .campaign_fixtures import make_campaign, make_segment, opted_in

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _campaign(n_in: int, n_out: int):
    people = opted_in(n_in)
    out = CustomerFactory.create_batch(n_out, email_consent=Customer.Consent.OPTED_OUT)
    return make_campaign(include=[make_segment([*people, *out])]), people, out


def _status(campaign) -> str:
    campaign.refresh_from_db()
    return campaign.status


# One SMTP connection (the default) and two lanes (MARKETING_SMTP_LANES, threads on PostgreSQL).
LANES = pytest.mark.parametrize("lanes", ["1", "2"])


@LANES
def test_a_real_worker_sends_a_small_campaign_to_the_sink_exactly_once(tmp_path, manager, lanes):
    campaign, people, out = _campaign(6, 2)
    env = {"MARKETING_BATCH_SIZE": "2", "MARKETING_SMTP_LANES": lanes}
    with Sink() as sink, running_worker(tmp_path, env={**env, "MARKETING_EMAIL_URL": sink.url}):
        campaigns.campaign_start(campaign=campaign, actor=manager)
        assert wait_for(lambda: _status(campaign) == Campaign.Status.SENT, seconds=60), (
            tmp_path / "worker.log"
        ).read_text()[-3000:]

    assert Counter(sink.addresses()) == Counter({p.email: 1 for p in people})


@LANES
def test_a_worker_killed_while_the_sink_holds_a_reply_leaves_every_recipient_one_message(
    tmp_path, manager, settings, lanes
):
    settings.MARKETING_SEND_LEASE_S = 5  # the test process runs outbox_requeue_stale as beat would
    campaign, people, out = _campaign(12, 3)
    env = {"MARKETING_BATCH_SIZE": "4", "MARKETING_SEND_LEASE_S": "5", "MARKETING_SMTP_LANES": lanes}
    # Every reply from message 6 on is held: each lane ends up waiting on one, so the kill
    # finds no lane between a "250" and its "sent" mark (that window is bench_campaign's
    # --kill-after to measure, at random moments; here the kill must be deterministic).
    with Sink(SinkHandler(hold_at=6, hold_later=True)) as sink, using_broker("redis", tmp_path) as broker:
        env |= {**broker, "MARKETING_EMAIL_URL": sink.url}
        first = start_worker(tmp_path, name="first", env=env)
        try:
            campaigns.campaign_start(campaign=campaign, actor=manager)
            assert sink.handler.held.wait(60), "the sink never got message 6"
            time.sleep(1)  # the other lanes send theirs and wait on held replies too
            kill_worker(first)
        finally:
            stop_worker(first)
        sink.handler.release.set()
        assert len(sink.received) == 5
        second = start_worker(tmp_path, name="second", env=env)
        try:

            def recovered():
                sending.outbox_requeue_stale()
                return _status(campaign) == Campaign.Status.SENT

            assert wait_for(recovered, seconds=60, every=1), (tmp_path / "second.log").read_text()[-3000:]
        finally:
            stop_worker(second)

    delivered = Counter(sink.addresses())
    assert delivered == Counter({p.email: 1 for p in people})
    assert not {c.email for c in out} & set(delivered)
