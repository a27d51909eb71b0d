"""Mail in, through the whole ingest (support.services.inbound and support_ingest_email),
on the real client fixtures in mail_fixtures/: what threads, what opens a ticket,
what is ignored, and what is rejected, each recorded on its InboundEmail row."""

import io
from pathlib import Path

import pytest
from django.core.management import call_command

from customers.tests.factories import CustomerFactory
from support.management.commands.support_ingest_email import Command as IngestCommand
from support.models import InboundEmail, OutboundEmail, Queue, Ticket, TicketAttachment, TicketMessage
from support.services import inbound, tickets
from support.tests.factories import QueueFactory, TicketFactory, TicketMessageFactory

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "mail_fixtures"
GMAIL_PARENT = "2c9d1f8e7b6a4d3c9e1f0a2b3c4d5e6f@support.example-crm.test"  # In-Reply-To of gmail_reply.eml
OUTLOOK_PARENT = "5e1f7a9c3b2d4e6f8a0b1c2d3e4f5a6b@support.example-crm.test"  # References of outlook_reply.eml
AYSE = "ayse.yilmaz@gmail.com"
Outcome = InboundEmail.Outcome


def ingest(name: str, **kwargs) -> InboundEmail:
    return inbound.email_ingest(raw=(FIXTURES / name).read_bytes(), **kwargs)


def simple(headers: str, body: str = "Hello\n") -> bytes:
    return f"{headers.strip()}\nContent-Type: text/plain; charset=utf-8\n\n{body}".encode()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def general():
    return Queue.objects.get(slug="general")


@pytest.fixture
def ayse_ticket(queue):
    """A ticket of Ayşe's (not #42: threading must not lean on the subject token)."""
    ticket = TicketFactory(queue=queue, customer=CustomerFactory(email=AYSE), status=Ticket.Status.PENDING)
    TicketMessageFactory(ticket=ticket, from_customer=True, from_address=AYSE, message_id="first@mail.gmail.com")
    TicketMessageFactory(ticket=ticket, from_customer=False, message_id=GMAIL_PARENT)
    assert ticket.pk != 42
    return ticket


# --- threading ------------------------------------------------------------------


def test_a_gmail_reply_threads_by_in_reply_to_and_reopens_the_waiting_ticket(ayse_ticket):
    row = ingest("gmail_reply.eml")

    assert (row.outcome, row.reason, row.ticket) == (Outcome.APPENDED, "in-reply-to", ayse_ticket)
    reply = ayse_ticket.messages.order_by("pk").last()
    assert reply.from_customer and reply.from_address == AYSE and reply.from_name == "Ayşe Yılmaz"
    assert reply.message_id == "CAJ8kR2nX4q=vE+Lw7pP5h0sTq3yGmB1dK9eF2hJ6cU@mail.gmail.com"
    assert reply.in_reply_to == GMAIL_PARENT and reply.references.split()[-1] == GMAIL_PARENT
    assert reply.body.startswith("Hi,") and "wrote:" not in reply.body  # the quote is folded away…
    assert reply.quoted_text.startswith("On Sun, 6 Dec 2026")  # …and kept
    assert reply.body_html and "<script" not in reply.body_html
    ayse_ticket.refresh_from_db()
    assert ayse_ticket.status == Ticket.Status.OPEN


def test_an_outlook_reply_with_references_only_threads_onto_the_ticket_of_our_acknowledgement(queue):
    """The id it references is an acknowledgement's: only the outbox row knows it."""
    ticket = TicketFactory(queue=queue, customer=CustomerFactory(email="mehmet.demir@contoso-ltd.test"))
    OutboundEmail.objects.create(
        ticket=ticket, kind=OutboundEmail.Kind.ACKNOWLEDGEMENT, to_address="mehmet.demir@contoso-ltd.test",
        subject="x", message_id=OUTLOOK_PARENT, body="x", status=OutboundEmail.Status.SENT,
    )  # fmt: skip

    row = ingest("outlook_reply.eml")

    assert (row.outcome, row.reason, row.ticket) == (Outcome.APPENDED, "references", ticket)
    reply = ticket.messages.get()
    assert reply.body.startswith("Hello,") and "Original Message" not in reply.body
    assert "Original Message" in reply.quoted_text


def test_a_reply_threads_whichever_mailbox_received_the_first_message(queue, other_queue):
    """The id is looked up across every queue (django-helpdesk#1279), and the queue given is not used."""
    ticket = TicketFactory(queue=other_queue, customer=CustomerFactory(email=AYSE))
    TicketMessageFactory(ticket=ticket, message_id=GMAIL_PARENT, from_customer=False)

    row = ingest("gmail_reply.eml", queue=queue)

    assert (row.outcome, row.ticket) == (Outcome.APPENDED, ticket)


def test_a_subject_token_alone_threads_when_the_sender_is_the_ticket_s_customer(queue):
    ticket = TicketFactory(pk=42, queue=queue, customer=CustomerFactory(email="Ayse.Yilmaz@gmail.com"))

    row = ingest("subject_token_only.eml")

    assert (row.outcome, row.reason, row.ticket) == (Outcome.APPENDED, "subject-token", ticket)
    assert "corrected invoice arrived" in ticket.messages.get().body


def test_a_subject_token_threads_when_the_sender_wrote_on_the_ticket_before(queue):
    ticket = TicketFactory(pk=42, queue=queue, customer=CustomerFactory(email="boss@yilmaz-tekstil.test"))
    TicketMessageFactory(ticket=ticket, from_address=AYSE)

    row = ingest("subject_token_only.eml")

    assert (row.outcome, row.ticket) == (Outcome.APPENDED, ticket)


def test_a_stranger_s_mail_with_a_ticket_s_token_opens_a_new_ticket_and_leaves_that_one_alone(queue, general):
    ticket = TicketFactory(pk=42, queue=queue, customer=CustomerFactory(email="someone.else@example.com"))

    row = ingest("subject_token_only.eml")

    assert row.outcome == Outcome.CREATED and row.ticket != ticket
    assert row.ticket.customer.email == AYSE and row.ticket.queue == general
    assert not ticket.messages.exists()


def test_a_reply_to_a_merged_ticket_lands_on_the_ticket_it_was_merged_into(queue, ayse_ticket):
    target = TicketFactory(queue=queue, customer=ayse_ticket.customer)
    Ticket.objects.filter(pk=ayse_ticket.pk).update(merged_into=target, status=Ticket.Status.CLOSED)

    row = ingest("gmail_reply.eml")

    assert (row.outcome, row.ticket) == (Outcome.APPENDED, target)


def test_a_reply_to_a_closed_ticket_opens_a_new_one_that_names_the_old_one(ayse_ticket):
    Ticket.objects.filter(pk=ayse_ticket.pk).update(status=Ticket.Status.CLOSED)

    row = ingest("gmail_reply.eml")

    assert row.outcome == Outcome.CREATED and row.reason == f"follow-up of closed ticket #{ayse_ticket.pk}"
    new = row.ticket
    assert new != ayse_ticket and new.queue == ayse_ticket.queue and new.customer == ayse_ticket.customer
    note = new.messages.get(kind=TicketMessage.Kind.INTERNAL)
    assert f"#{ayse_ticket.pk}" in note.body
    assert new.events.filter(action="follow_up_of", new_value=str(ayse_ticket.pk)).exists()
    ayse_ticket.refresh_from_db()
    assert ayse_ticket.status == Ticket.Status.CLOSED and ayse_ticket.messages.count() == 2


# --- new tickets ----------------------------------------------------------------


def test_an_iso_8859_9_message_opens_a_ticket_with_its_turkish_characters_intact(general):
    row = ingest("turkish_iso8859_9.eml")

    assert row.outcome == Outcome.CREATED  # its In-Reply-To names no message of ours
    ticket = row.ticket
    assert ticket.subject == "Siparişim henüz gelmedi: İzmir'e ne zaman gelir?"
    assert ticket.queue == general and ticket.channel == Ticket.Channel.EMAIL
    assert (ticket.customer.first_name, ticket.customer.last_name) == ("Çağrı", "Öztürk")
    assert ticket.customer.email == "cagri.ozturk@example.com.tr"
    first = ticket.messages.get()
    assert "Ağustos'tan beri İzmir şubenizle yazışıyorum" in first.body.replace("\n", " ")
    assert "yazdı" not in first.body and "Siparişiniz hazırlanıyor" in first.quoted_text
    assert first.message_id == "4b7e2c91-6f3a-4d8e-b1c5-9a0d2e7f3b64@example.com.tr"
    assert row.subject == ticket.subject and row.from_address == "cagri.ozturk@example.com.tr"


def test_a_new_ticket_goes_to_the_queue_whose_address_the_mail_was_sent_to():
    billing = QueueFactory(slug="billing-in", inbound_address="Billing@Example-CRM.test")
    raw = simple(
        "From: Kim <kim@example.com>\nTo: someone@example.com\nCc: billing@example-crm.test\n"
        "Subject: Refund\nMessage-ID: <r1@example.com>"
    )

    row = inbound.email_ingest(raw=raw)

    assert row.ticket.queue == billing


def test_the_queue_given_wins_over_the_address(queue):
    QueueFactory(slug="billing-in", inbound_address="billing@example-crm.test")
    raw = simple("From: kim@example.com\nTo: billing@example-crm.test\nSubject: Hi\nMessage-ID: <r2@example.com>")

    assert inbound.email_ingest(raw=raw, queue=queue).ticket.queue == queue


def test_an_existing_customer_is_matched_by_email_in_any_case(general):
    customer = CustomerFactory(email="Cagri.Ozturk@example.com.tr")

    assert ingest("turkish_iso8859_9.eml").ticket.customer == customer


def test_an_html_only_message_is_stored_sanitised(general):
    ticket = ingest("html_only_script.eml").ticket
    message = ticket.messages.get()

    assert "Order 10031 arrived with a broken lid." in message.body
    assert "<script" not in message.body_html and "onclick" not in message.body_html
    assert "javascript:" not in message.body_html


def test_attachments_are_kept_under_random_names_and_an_oversized_one_gets_an_internal_note(settings, general):
    settings.CRM_ATTACHMENT_MAX_BYTES = 2048

    ticket = ingest("oversized_attachment.eml").ticket

    kept = TicketAttachment.objects.get(ticket=ticket)
    assert kept.original_name == "fatura şubat.pdf" and kept.message == ticket.messages.get(kind="public")
    with kept.file.open("rb") as stored:
        assert stored.read().startswith(b"%PDF") and "fatura" not in kept.file.name
    note = ticket.messages.get(kind=TicketMessage.Kind.INTERNAL)
    assert note.body.startswith("Attachment IMG_2041.jpg was dropped")
    assert note.author is None


# --- ignored, duplicates, rejected ------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "reason"), [("out_of_office.eml", "auto-submitted"), ("bounce.eml", "delivery-report")]
)
def test_automatic_mail_is_ignored_and_never_reopens_or_answers_a_ticket(queue, fixture, reason):
    ticket = TicketFactory(queue=queue, status=Ticket.Status.SOLVED)
    OutboundEmail.objects.create(
        ticket=ticket, to_address="elif.kaya@contoso-ltd.test", subject="x", message_id=OUTLOOK_PARENT, body="x"
    )
    tickets_before, outbox_before = Ticket.objects.count(), OutboundEmail.objects.count()

    row = ingest(fixture)

    assert (row.outcome, row.reason, row.ticket) == (Outcome.IGNORED, reason, None)
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.SOLVED and not ticket.messages.exists()
    assert (Ticket.objects.count(), OutboundEmail.objects.count()) == (tickets_before, outbox_before)


def test_mail_from_our_own_address_is_a_loop_and_ignored(settings, queue):
    queue.inbound_address = "help@example-crm.test"
    queue.save()
    raw = simple("From: Help <HELP@example-crm.test>\nTo: help@example-crm.test\nSubject: x\nMessage-ID: <l@x.test>")

    row = inbound.email_ingest(raw=raw)

    assert (row.outcome, row.reason) == (Outcome.IGNORED, "own-address")
    assert not Ticket.objects.exists()


def test_a_message_id_seen_before_is_a_no_op(ayse_ticket):
    first = ingest("gmail_reply.eml")
    again = ingest("gmail_reply.eml")

    assert (first.outcome, again.outcome, again.ticket) == (Outcome.APPENDED, Outcome.DUPLICATE, None)
    assert ayse_ticket.messages.count() == 3
    assert InboundEmail.objects.count() == 2  # both arrivals are on record


def test_a_message_stored_by_another_process_meanwhile_is_a_duplicate_not_an_error(ayse_ticket, monkeypatch):
    """Two mailboxes received the same mail and both passed the check at once: the unique
    Message-ID on ticket messages lets only one through."""
    ingest("gmail_reply.eml")
    monkeypatch.setattr(inbound, "_seen_before", lambda row: False)

    row = ingest("gmail_reply.eml")

    assert (row.outcome, row.ticket) == (Outcome.DUPLICATE, None)
    assert ayse_ticket.messages.count() == 3


def test_a_message_id_we_sent_ourselves_is_a_no_op(queue):
    ticket = TicketFactory(queue=queue)
    OutboundEmail.objects.create(ticket=ticket, to_address="a@b.test", subject="x", message_id="ours@x.test", body="x")
    raw = simple("From: kim@example.com\nSubject: x\nMessage-ID: <ours@X.test>")

    assert inbound.email_ingest(raw=raw).outcome == Outcome.DUPLICATE


def test_the_same_mail_without_a_message_id_twice_is_recognised_by_its_bytes(general):
    raw = simple("From: kim@example.com\nSubject: No id")

    first, again = inbound.email_ingest(raw=raw), inbound.email_ingest(raw=raw)

    assert (first.outcome, again.outcome) == (Outcome.CREATED, Outcome.DUPLICATE)
    assert first.message_id.endswith("@no-message-id.invalid")
    assert first.ticket.messages.get().message_id == ""


def test_an_ignored_message_fed_again_is_a_duplicate():
    assert ingest("bounce.eml").outcome == Outcome.IGNORED
    assert ingest("bounce.eml").outcome == Outcome.DUPLICATE


def test_mail_without_a_usable_from_is_rejected_and_kept():
    raw = (FIXTURES / "no_from.eml").read_bytes()

    row = inbound.email_ingest(raw=raw)

    assert (row.outcome, row.reason) == (Outcome.REJECTED, "No usable From address.")
    row.refresh_from_db()
    assert bytes(row.raw) == raw and row.subject == "Nightly export finished"


def test_an_oversized_mail_is_rejected_with_its_size_and_only_its_headers_kept(settings):
    settings.CRM_SUPPORT_MAX_EMAIL_BYTES = 100
    raw = simple("From: kim@example.com\nSubject: Big\nMessage-ID: <big@example.com>", body="x" * 500)

    row = inbound.email_ingest(raw=raw)

    row.refresh_from_db()
    assert row.outcome == Outcome.REJECTED and row.reason == f"Too large: {len(raw)} bytes, the limit is 100."
    assert row.size == len(raw) and bytes(row.raw).startswith(b"From: kim@") and b"xxx" not in bytes(row.raw)
    assert not Ticket.objects.exists()


def test_a_processing_error_keeps_the_raw_mail_and_rejects_it_with_the_error(monkeypatch, general):
    def broken(**kwargs):
        raise ValueError("the database said no")

    monkeypatch.setattr(tickets, "ticket_open", broken)
    raw = simple("From: kim@example.com\nSubject: Hi\nMessage-ID: <e1@example.com>")

    row = inbound.email_ingest(raw=raw)

    row.refresh_from_db()
    assert row.outcome == Outcome.REJECTED
    assert row.reason == "Processing failed: ValueError: the database said no"
    assert bytes(row.raw) == raw and not Ticket.objects.exists()
    monkeypatch.undo()
    assert inbound.email_ingest(raw=raw).outcome == Outcome.CREATED  # a rejected row does not block a retry


# --- the command ----------------------------------------------------------------


def test_the_command_ingests_a_file_and_prints_the_outcome(general, capsys):
    call_command("support_ingest_email", str(FIXTURES / "turkish_iso8859_9.eml"))

    row = InboundEmail.objects.get()
    assert capsys.readouterr().out.strip() == f"Inbound email {row.pk}: created ticket #{row.ticket_id} (new)"
    assert row.source == "pipe"


def test_the_command_reads_stdin_for_an_mta_pipe_into_the_queue_named(queue, monkeypatch, capsys):
    raw = (FIXTURES / "turkish_iso8859_9.eml").read_bytes()
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(raw)))

    call_command("support_ingest_email", "-", "--queue", "support")

    assert InboundEmail.objects.get().ticket.queue == queue


@pytest.fixture
def run_from_argv(monkeypatch):
    """The command as `manage.py` runs it (exit status, stderr), minus its closing of the
    database connections at exit, which would end this test's transaction."""
    monkeypatch.setattr("django.core.management.base.connections.close_all", lambda: None)
    return lambda *argv: IngestCommand().run_from_argv(["manage.py", "support_ingest_email", *argv])


def test_the_command_on_mail_without_from_exits_1_with_one_line_on_stderr_and_keeps_it(run_from_argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        run_from_argv(str(FIXTURES / "no_from.eml"))

    assert exit_info.value.code == 1
    captured = capsys.readouterr()
    row = InboundEmail.objects.get()
    assert captured.err == f"CommandError: Inbound email {row.pk} rejected: No usable From address.\n"
    assert captured.out == "" and row.outcome == Outcome.REJECTED


def test_the_command_refuses_an_unknown_queue(run_from_argv, capsys):
    with pytest.raises(SystemExit):
        run_from_argv("-", "--queue", "nope")
    assert "No queue with the slug 'nope'" in capsys.readouterr().err
    assert not InboundEmail.objects.exists()
