"""Mail out through Django's real SMTP backend to an aiosmtpd sink on a free port:
the threading headers a customer's client needs, the magic link in every mail,
and a failed send that stays failed and goes out once when retried."""

from pathlib import Path

import pytest

from support.models import InboundEmail, OutboundEmail, Queue, TicketMessage
from support.services import inbound, mailing, outbound, tickets

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "mail_fixtures"
CUSTOMER_MESSAGE_ID = "4b7e2c91-6f3a-4d8e-b1c5-9a0d2e7f3b64@example.com.tr"  # turkish_iso8859_9.eml


@pytest.fixture
def mailed_ticket(settings, django_capture_on_commit_callbacks, tmp_path):
    """A ticket opened by a customer's mail to the `general` queue (which acknowledges)."""
    settings.MEDIA_ROOT = tmp_path
    settings.SUPPORT_EMAIL_DOMAIN = "support.example-crm.test"
    Queue.objects.filter(slug="general").update(inbound_address="destek@example-crm.test", name="Destek")
    with django_capture_on_commit_callbacks(execute=True):
        row = inbound.email_ingest(raw=(FIXTURES / "turkish_iso8859_9.eml").read_bytes())
    return row.ticket


def test_the_acknowledgement_is_auto_replied_threaded_and_carries_the_link(smtp_sink, mailed_ticket):
    (received,) = smtp_sink.received
    ack = received.message

    assert received.recipients == ("cagri.ozturk@example.com.tr",) and received.mail_from == "destek@example-crm.test"
    assert ack["Auto-Submitted"] == "auto-replied"
    assert ack["In-Reply-To"] == f"<{CUSTOMER_MESSAGE_ID}>" and ack["References"] == f"<{CUSTOMER_MESSAGE_ID}>"
    # Python folds a long encoded subject onto the next line; readers drop the fold's space.
    assert (
        ack["Subject"].strip() == f"Re: [Ticket #{mailed_ticket.pk}] Siparişim henüz gelmedi: İzmir'e ne zaman gelir?"
    )
    assert ack["Reply-To"] == ack["From"] == "Destek <destek@example-crm.test>"
    assert ack["Message-ID"].endswith("@support.example-crm.test>")
    assert "/help/t/" in ack.get_content()


def test_an_agents_reply_reaches_the_customer_in_the_thread_and_their_answer_threads_back(
    smtp_sink, mailed_ticket, agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        reply = tickets.ticket_reply(ticket=mailed_ticket, actor=agent, body="Kargonuz yarın yola çıkıyor.")
        tickets.ticket_reply(ticket=mailed_ticket, actor=agent, body="Grumpy customer", kind="internal")

    ack, sent = smtp_sink.messages  # the note never left
    assert sent["Message-ID"] == f"<{reply.message_id}>" and reply.message_id.endswith("@support.example-crm.test")
    assert sent["In-Reply-To"] == f"<{CUSTOMER_MESSAGE_ID}>"
    assert sent["References"] == f"<{CUSTOMER_MESSAGE_ID}>"
    assert sent["Auto-Submitted"] is None  # a person wrote it: the customer's client may auto-answer it
    assert sent["Subject"] == ack["Subject"]  # one "Re:", one token
    body = sent.get_content()
    assert "Kargonuz yarın yola çıkıyor." in body and "/help/t/" in body and "Grumpy" not in body
    assert OutboundEmail.objects.get(ticket_message=reply).status == OutboundEmail.Status.SENT

    answer = (
        f"From: cagri.ozturk@example.com.tr\nTo: destek@example-crm.test\nSubject: Re: {sent['Subject']}\n"
        f"Message-ID: <answer@example.com.tr>\nIn-Reply-To: {sent['Message-ID']}\n"
        f"References: {sent['References']} {sent['Message-ID']}\nContent-Type: text/plain; charset=utf-8\n\n"
        "Teşekkürler!\n"
    ).encode()
    row = inbound.email_ingest(raw=answer)
    assert (row.outcome, row.reason, row.ticket) == (InboundEmail.Outcome.APPENDED, "in-reply-to", mailed_ticket)


def test_a_later_reply_references_the_whole_chain_and_answers_the_customer_s_latest_message(
    smtp_sink, mailed_ticket, agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = tickets.ticket_reply(ticket=mailed_ticket, actor=agent, body="One")
        tickets.ticket_customer_reply(
            ticket=mailed_ticket, body="Two", message_fields={"message_id": "two@example.com.tr"}
        )
        tickets.ticket_reply(ticket=mailed_ticket, actor=agent, body="Three")

    last = smtp_sink.messages[-1]
    assert last["In-Reply-To"] == "<two@example.com.tr>"
    assert last["References"].split() == [f"<{CUSTOMER_MESSAGE_ID}>", f"<{first.message_id}>", "<two@example.com.tr>"]


def test_a_failed_send_stays_failed_with_its_error_and_a_retry_after_the_server_is_back_sends_once(
    smtp_sink, mailed_ticket, agent, django_capture_on_commit_callbacks
):
    smtp_sink.stop()
    with django_capture_on_commit_callbacks(execute=True):
        reply = tickets.ticket_reply(ticket=mailed_ticket, actor=agent, body="Are you there?")
    row = OutboundEmail.objects.get(ticket_message=reply)
    assert row.status == OutboundEmail.Status.FAILED and "refused" in row.error.lower()
    assert TicketMessage.objects.filter(pk=reply.pk).exists()  # the reply itself is kept

    smtp_sink.start()
    with django_capture_on_commit_callbacks(execute=True):
        outbound.outbound_retry(outbound=row, actor=agent)
        outbound.outbound_retry(outbound=row, actor=agent)  # a second click: the row is no longer failed
    mailing.outbound_deliver(outbound_id=row.pk)  # a redelivered task

    row.refresh_from_db()
    assert (row.status, row.error, row.attempts) == (OutboundEmail.Status.SENT, "", 2)
    replies = [m for m in smtp_sink.messages if m["Message-ID"] == f"<{reply.message_id}>"]
    assert len(replies) == 1
    assert mailed_ticket.events.filter(action="mail_retried", actor=agent).count() == 1
