"""Django's SMTP backend against an aiosmtpd sink: accepted, 4xx retried, 5xx bounced, outage pauses;
each with the sink offering PIPELINING (the envelope in one write) and without it (one command at a time)."""

import smtplib

import pytest
from django.db import connection
from django.utils import timezone

from crm_project.smtp_sink import Sink, SinkHandler, free_port
from marketing.models import Campaign, OutboxMessage
from marketing.services import campaigns, sending

from .campaign_fixtures import make_campaign, make_segment, opted_in

pytestmark = pytest.mark.django_db


@pytest.fixture(params=[True, False], ids=["pipelining", "one-command-at-a-time"])
def pipelining(request):
    return request.param


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


def test_the_sink_gets_each_message_once_with_its_message_id(settings, sending_campaign, pipelining):
    campaign, people = sending_campaign
    with Sink(SinkHandler(pipelining=pipelining)) as sink:
        settings.MARKETING_EMAIL_URL = sink.url
        assert _send_all(campaign)["sent"] == 3
    rows = {row.email: row.message_id for row in OutboxMessage.objects.all()}
    assert sorted((to, r.message_id) for r in sink.received for to in r.recipients) == sorted(rows.items())
    assert b"List-Unsubscribe-Post: List-Unsubscribe=One-Click" in sink.received[0].raw


def test_a_4xx_answer_puts_the_row_back_to_pending_for_a_retry(settings, sending_campaign, pipelining):
    campaign, people = sending_campaign
    answers = {people[0].email: "451 4.7.1 Try again later"}
    with Sink(SinkHandler(answers=answers, pipelining=pipelining)) as sink:
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


def test_a_5xx_answer_bounces_the_row_and_the_others_are_sent(settings, sending_campaign, pipelining):
    campaign, people = sending_campaign
    answers = {people[1].email: "550 5.1.1 No such user"}
    with Sink(SinkHandler(answers=answers, pipelining=pipelining)) as sink:
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


def _lane(settings, sink, messages: list[tuple[str, bytes]]) -> sending._Queue:
    """(address, bytes) sent over one lane as a batch sends its rows (their marks touch no row)."""
    settings.MARKETING_EMAIL_URL = sink.url
    rows = [(sending.Recipient(10**9 + n, to, "", 1, True, {}), None, data) for n, (to, data) in enumerate(messages)]
    queue = sending._Queue(rows)  # type: ignore[arg-type]  # an SMTP lane sends the bytes, never the message
    with connection.cursor() as cursor:
        sending._lane(queue, sending._Marks(cursor))
    return queue


@pytest.mark.parametrize(
    "data", [b"Subject: a\r\n\r\n.line\r\n..two\r\nend\r\n", b"Subject: b\r\n\r\n.\r\nno end", b"."]
)
def test_a_body_arrives_as_smtplibs_sendmail_delivers_it(settings, data, pipelining):
    """Leading dots doubled on the wire and undone by the server, a last line without CRLF ended."""
    with Sink(SinkHandler(pipelining=pipelining)) as sink:
        queue = _lane(settings, sink, [("ours@example.com", data), ("second@example.com", data)])
        client = smtplib.SMTP("127.0.0.1", sink.port, timeout=5)
        client.sendmail("from@example.com", ["smtplib@example.com"], data)
        client.quit()
    ours, second, theirs = sink.received
    assert queue.sent == 2 and ours.recipients == ("ours@example.com",) and second.recipients == ("second@example.com",)
    assert ours.raw == second.raw == theirs.raw


def test_a_refused_recipient_leaves_the_connection_ready_for_the_next_message(settings, pipelining):
    handler = SinkHandler(answers={"no@example.com": "550 5.1.1 No such user"}, pipelining=pipelining)
    with Sink(handler) as sink:
        queue = _lane(settings, sink, [("no@example.com", b"Subject: a\r\n\r\nx\r\n"), ("yes@example.com", b"y")])
    assert [(row.email, code, text) for row, code, text in queue.refused] == [
        ("no@example.com", 550, b"5.1.1 No such user")
    ]
    assert queue.sent == 1 and sink.addresses() == ["yes@example.com"]


def test_a_refused_message_body_does_not_disturb_the_next_envelope(settings, pipelining):
    """The second body gets 451 (the next recipient's MAIL, RCPT and DATA already sent behind it): the
    third message still arrives, whole."""
    handler = SinkHandler(hold_at=2, pipelining=pipelining)
    handler.release.set()  # the held reply is then given at once: "451 Released without delivery"
    messages = [(f"to{n}@example.com", f"Subject: {n}\r\n\r\nbody {n}\r\n".encode()) for n in range(3)]
    with Sink(handler) as sink:
        queue = _lane(settings, sink, messages)
    assert [(row.email, code) for row, code, _text in queue.refused] == [("to1@example.com", 451)]
    assert queue.sent == 2 and [r.raw for r in sink.received] == [messages[0][1], messages[2][1]]


def test_a_server_closing_with_421_stops_the_lane_and_loses_no_recipient(settings, pipelining):
    handler = SinkHandler(answers={"first@example.com": "421 4.3.2 Shutting down"}, pipelining=pipelining)
    messages = [(f"{name}@example.com", b"x") for name in ("first", "second", "third")]
    with Sink(handler) as sink:
        queue = _lane(settings, sink, messages)
    assert [(row.email, code) for row, code, _text in queue.refused] == [("first@example.com", 421)]
    assert queue.outage is not None and len(queue.unsent) == 1 and len(queue.rest()) == 1
    assert queue.sent == 0 and sink.received == []


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_a_batch_marks_its_rows_over_its_own_asynchronous_connection(settings):
    """Outside a transaction on PostgreSQL the lanes mark over `_AsyncMarks` (prepared, autocommit):
    every row is sent once, and the connection goes back to the pool with nothing in flight."""
    if connection.vendor != "postgresql":
        pytest.skip("the lanes' own mark connections are PostgreSQL's")
    people = opted_in(5)
    campaign = make_campaign(include=[make_segment(people)], status=Campaign.Status.SENDING)
    campaigns.outbox_insert(campaign=campaign, now=timezone.now())
    with Sink() as sink:
        settings.MARKETING_EMAIL_URL = sink.url
        assert _send_all(campaign)["sent"] == 5
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"sent"}
    assert sorted(sink.addresses()) == sorted(p.email for p in people)
    with sending._mark_connection() as marks:  # the pooled one, answered and reusable
        assert isinstance(marks, sending._AsyncMarks) and not marks.in_flight
        marks.mark(OutboxMessage.objects.first().pk)
        assert marks.in_flight
    assert not marks.in_flight
