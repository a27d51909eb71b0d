"""Services behind the ticket page: attachments, macros, merge, presence, mail retry."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from customers.tests.factories import CustomerFactory
from jobs.models import JobRun
from support.models import Macro, OutboundEmail, Ticket, TicketAttachment, TicketMessage, TicketPresence
from support.services import attachments, macros, merge, outbound, presence, replies, tickets
from support.tests.factories import TicketFactory, TicketMessageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def ticket(queue):
    return TicketFactory(queue=queue, customer=CustomerFactory(first_name="Kim", email="kim@example.com"))


def test_an_attachment_is_stored_under_a_random_name_and_keeps_its_own_for_display(ticket, agent):
    upload = SimpleUploadedFile("../../etc/passwd report.txt", b"data", content_type="text/plain")
    attachment = attachments.attachment_add(ticket=ticket, message=None, upload=upload, actor=agent)
    assert attachment.original_name == "passwd report.txt"
    assert "passwd" not in attachment.file.name and attachment.size == 4


def test_an_attachment_over_the_limit_is_refused(ticket, agent, settings):
    settings.CRM_ATTACHMENT_MAX_BYTES = 3
    with pytest.raises(ValidationError, match="too large"):
        attachments.attachment_add(
            ticket=ticket, message=None, upload=SimpleUploadedFile("a.txt", b"1234"), actor=agent
        )
    assert not TicketAttachment.objects.exists()


def test_a_reply_whose_file_is_refused_leaves_no_message_and_no_mail(ticket, agent, settings):
    settings.CRM_ATTACHMENT_MAX_BYTES = 3
    with pytest.raises(ValidationError):
        replies.reply_post(
            ticket=ticket, actor=agent, body="With file", kind="public", uploads=[SimpleUploadedFile("a.txt", b"1234")]
        )
    assert not TicketMessage.objects.filter(body="With file").exists()
    assert not OutboundEmail.objects.exists()


def test_a_macro_replaces_only_its_fixed_placeholders(ticket, agent):
    macro = Macro(
        body="{{ customer.first_name }}/{{ ticket.id }}/{{ customer.password }}/{% now 'Y' %}/{{agent.first_name}}"
    )
    assert macros.macro_render(macro=macro, ticket=ticket, agent=agent) == (
        f"Kim/{ticket.pk}/{{{{ customer.password }}}}/{{% now 'Y' %}}/Alice"
    )


def test_merging_a_ticket_into_itself_is_refused_by_the_service(ticket, agent):
    with pytest.raises(ValidationError, match="itself"):
        merge.ticket_merge(source=ticket, target=ticket, actor=agent)


def test_merging_moves_the_outbox_and_keeps_the_targets_latest_customer_message(ticket, queue, agent):
    target = TicketFactory(queue=queue, customer=ticket.customer)
    message = TicketMessageFactory(ticket=ticket, message_id="<a@example.com>")
    reply = tickets.ticket_reply(ticket=ticket, actor=agent, body="Answer")
    merge.ticket_merge(source=ticket, target=target, actor=agent)
    assert OutboundEmail.objects.get(ticket_message=reply).ticket_id == target.pk
    target.refresh_from_db()
    assert target.last_customer_message_at == message.created_at
    assert Ticket.objects.get(pk=ticket.pk).merged_into_id == target.pk


def test_presence_is_one_row_per_viewer_and_ticket(ticket, agent):
    presence.presence_touch(ticket=ticket, user=agent, replying=False)
    presence.presence_touch(ticket=ticket, user=agent, replying=True)
    assert TicketPresence.objects.get().replying is True


def test_retrying_a_failed_mail_queues_it_once_and_leaves_a_sent_one_alone(
    ticket, agent, django_capture_on_commit_callbacks
):
    reply = tickets.ticket_reply(ticket=ticket, actor=agent, body="Answer")
    row = OutboundEmail.objects.get(ticket_message=reply)
    OutboundEmail.objects.filter(pk=row.pk).update(status="failed", error="timeout")
    runs_before = JobRun.objects.filter(name="support.outbound_send").count()
    with django_capture_on_commit_callbacks(execute=False):
        outbound.outbound_retry(outbound=row, actor=agent)
        outbound.outbound_retry(outbound=row, actor=agent)
    row.refresh_from_db()
    assert (row.status, row.error) == ("queued", "")
    assert JobRun.objects.filter(name="support.outbound_send").count() == runs_before + 1
    assert JobRun.objects.filter(name="support.outbound_send").latest("pk").kwargs == {"outbound_id": row.pk}


def test_a_replys_files_are_attached_to_its_mail(queue, agent, settings, tmp_path, django_capture_on_commit_callbacks):
    from django.core import mail
    from django.core.files.uploadedfile import SimpleUploadedFile

    from customers.tests.factories import CustomerFactory
    from support.services import replies
    from support.tests.factories import TicketFactory

    settings.MEDIA_ROOT = tmp_path
    ticket = TicketFactory(queue=queue, customer=CustomerFactory(email="kim@example.com"))
    upload = SimpleUploadedFile("invoice.pdf", b"%PDF-1.4 corrected", content_type="application/pdf")
    with django_capture_on_commit_callbacks(execute=True):
        replies.reply_post(ticket=ticket, actor=agent, body="Here it is", kind="public", uploads=[upload])
    assert mail.outbox[0].attachments == [("invoice.pdf", b"%PDF-1.4 corrected", "application/pdf")]
