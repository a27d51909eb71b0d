"""The admins' .eml upload: the same ingest as the pipe and IMAP, for admins only."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from support.forms.inbound import InboundUploadForm
from support.models import InboundEmail
from support.services import inbound

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "mail_fixtures"
URL = reverse("support:inbound-upload")


def upload(name: str, **data) -> dict:
    return {"file": SimpleUploadedFile(name, (FIXTURES / name).read_bytes(), "message/rfc822"), **data}


def test_an_admin_uploads_an_eml_and_it_opens_a_ticket_in_the_queue_chosen(client, admin_user, queue):
    client.force_login(admin_user)
    assert client.get(URL).status_code == 200

    response = client.post(URL, upload("turkish_iso8859_9.eml", queue=queue.pk), follow=True)

    row = InboundEmail.objects.get()
    assert (row.source, row.outcome, row.ticket.queue) == ("upload", InboundEmail.Outcome.CREATED, queue)
    assert f"Ticket #{row.ticket_id}." in response.content.decode()


def test_an_uploaded_message_without_from_is_kept_as_rejected_with_its_reason(client, admin_user):
    client.force_login(admin_user)

    response = client.post(URL, upload("no_from.eml"), follow=True)

    assert InboundEmail.objects.get().outcome == InboundEmail.Outcome.REJECTED
    assert "No usable From address." in response.content.decode()


def test_a_file_over_the_mail_limit_is_refused_by_the_form(client, admin_user, settings):
    settings.CRM_SUPPORT_MAX_EMAIL_BYTES = 100
    client.force_login(admin_user)

    response = client.post(URL, upload("turkish_iso8859_9.eml"))

    assert response.status_code == 200 and "larger than" in response.content.decode()
    assert not InboundEmail.objects.exists()


def test_agents_and_managers_may_not_upload_and_visitors_are_sent_to_log_in(client, agent, manager):
    for user in (agent, manager):
        client.force_login(user)
        assert client.post(URL, upload("turkish_iso8859_9.eml")).status_code == 403
    client.logout()
    assert client.get(URL).status_code == 302
    assert not InboundEmail.objects.exists()


def test_the_upload_form_and_the_rejection_reason_read_in_turkish():
    with translation.override("tr"):
        assert str(InboundUploadForm().fields["file"].label) == "E-posta (.eml)"
        row = inbound.email_ingest(raw=(FIXTURES / "no_from.eml").read_bytes())
    assert row.reason == "Kullanılabilir bir gönderen (From) adresi yok."


def test_the_admin_list_of_inbound_emails_links_to_the_upload_and_an_upload_lands_on_its_row(client, admin_user):
    client.force_login(admin_user)

    listing = client.get(reverse("admin:support_inboundemail_changelist"))
    response = client.post(URL, upload("turkish_iso8859_9.eml"))

    assert f'href="{URL}"' in listing.content.decode()
    row = InboundEmail.objects.get()
    assert response.url == reverse("admin:support_inboundemail_change", args=[row.pk])
    assert client.get(response.url).status_code == 200
