"""Django's SMTP backend against an aiosmtpd sink: accepted, 4xx retried, 5xx bounced, outage pauses."""

import pytest
from django.utils import timezone

from crm_project.smtp_sink import Sink, SinkHandler, free_port
from marketing.models import Campaign, OutboxMessage
from marketing.services import campaigns, sending

from .campaign_fixtures import make_campaign, make_segment, opted_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def sending_campaign():
    people = opted_in(3)
    campaign = make_campaign(include=[make_segment(people)], status=Campaign.Status.SENDING)
    campaigns.outbox_insert(campaign=campaign, now=timezone.now())
    return campaign, people


def _send_all(campaign):
    return sending.outbox_send_batch(
        ids=list(OutboxMessage.objects.filter(campaign=campaign).values_list("pk", flat=True))
    )


def test_the_sink_gets_each_message_once_with_its_message_id(settings, sending_campaign):
    campaign, people = sending_campaign
    with Sink() as sink:
        settings.MARKETING_EMAIL_URL = sink.url
        assert _send_all(campaign)["sent"] == 3
    rows = {row.email: row.message_id for row in OutboxMessage.objects.all()}
    assert sorted((to, r.message_id) for r in sink.received for to in r.recipients) == sorted(rows.items())
    assert b"List-Unsubscribe-Post: List-Unsubscribe=One-Click" in sink.received[0].raw


def test_a_4xx_answer_puts_the_row_back_to_pending_for_a_retry(settings, sending_campaign):
    campaign, people = sending_campaign
    with Sink(SinkHandler(answers={people[0].email: "451 4.7.1 Try again later"})) as sink:
        settings.MARKETING_EMAIL_URL = sink.url
        counts = _send_all(campaign)
    row = OutboxMessage.objects.get(customer=people[0])
    assert counts == {"sent": 2, "retried": 1, "bounced": 0}
    assert row.status == "pending" and row.error.startswith("451") and row.claimed_until > timezone.now()
    campaign.refresh_from_db()
    assert campaign.status == "sending"  # not finished while a retry waits


def test_a_4xx_answer_past_the_last_attempt_fails_the_row(settings, sending_campaign):
    campaign, people = sending_campaign
    settings.MARKETING_MAX_ATTEMPTS = 1
    with Sink(SinkHandler(answers={people[0].email: "451 Try again later"})) as sink:
        settings.MARKETING_EMAIL_URL = sink.url
        _send_all(campaign)
    assert OutboxMessage.objects.get(customer=people[0]).status == "failed"


def test_a_5xx_answer_bounces_the_row_and_the_others_are_sent(settings, sending_campaign):
    campaign, people = sending_campaign
    with Sink(SinkHandler(answers={people[1].email: "550 5.1.1 No such user"})) as sink:
        settings.MARKETING_EMAIL_URL = sink.url
        counts = _send_all(campaign)
    assert counts == {"sent": 2, "retried": 0, "bounced": 1}
    assert OutboxMessage.objects.get(customer=people[1]).status == "bounced"
    assert len(sink.received) == 2
    campaign.refresh_from_db()
    assert campaign.status == "sent"


def test_a_mail_server_outage_pauses_the_campaign_with_the_error_and_keeps_rows_pending(settings, sending_campaign):
    campaign, people = sending_campaign
    settings.MARKETING_EMAIL_URL = f"smtp://127.0.0.1:{free_port()}"  # nothing listens there
    _send_all(campaign)
    campaign.refresh_from_db()
    assert campaign.status == "paused" and "Connection refused" in campaign.error
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"pending"}
