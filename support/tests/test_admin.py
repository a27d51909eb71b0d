"""The support admin: every model is there; configuration keeps its history; secrets and raw mail never show."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from support.models import InboundEmail, Mailbox, Queue
from support.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

CONFIG = ["businesscalendar", "queue", "slapolicy", "slarule", "macro", "mailbox", "kbcategory", "kbarticle"]


def support_models():
    return [m for m in apps.get_app_config("support").get_models() if not m.__name__.startswith("Historical")]


def test_every_support_model_has_an_admin_page_that_opens(client_for, admin_user):
    client = client_for(admin_user)
    missing = [model.__name__ for model in support_models() if model not in admin.site._registry]
    assert missing == []
    for model in support_models():
        response = client.get(reverse(f"admin:support_{model._meta.model_name}_changelist"))
        assert response.status_code == 200, model.__name__
    for name in CONFIG:
        assert client.get(reverse(f"admin:support_{name}_add")).status_code == 200, name


def test_a_queue_changed_in_the_admin_shows_who_changed_it_on_its_history_page(client_for, admin_user):
    client = client_for(admin_user)
    general = Queue.objects.get(slug="general")
    data = {"name": "General help", "slug": "general", "auto_acknowledge": "on", "is_active": "on"}
    data["calendar"] = general.calendar_id

    response = client.post(reverse("admin:support_queue_change", args=[general.pk]), data)

    assert response.status_code == 302
    record = Queue.history.filter(id=general.pk).latest("history_date")
    assert (record.name, record.history_user) == ("General help", admin_user)
    page = client.get(reverse("admin:support_queue_history", args=[general.pk])).content.decode()
    assert "General help" in page


def test_a_mailboxs_secrets_are_never_shown_and_an_empty_field_keeps_them(client_for, admin_user):
    client = client_for(admin_user)
    box = Mailbox.objects.create(
        queue=Queue.objects.get(slug="general"), host="imap.example.com", username="help", password="s3cret-pass"
    )
    url = reverse("admin:support_mailbox_change", args=[box.pk])

    page = client.get(url).content.decode()
    assert "s3cret-pass" not in page and 'type="password"' in page
    data = {"queue": box.queue_id, "host": "imap2.example.com", "port": 993, "username": "help", "auth": "password"}
    response = client.post(url, data | {"folder": "INBOX", "is_active": "on", "password": ""})

    assert response.status_code == 302
    box.refresh_from_db()
    assert (box.host, box.password) == ("imap2.example.com", "s3cret-pass")


def test_an_inbound_mail_shows_its_size_never_its_raw_bytes(client_for, admin_user):
    raw = b"From: kim@example.com\r\nSubject: hi\r\n\r\nSECRET-BODY-TEXT"
    mail = InboundEmail.objects.create(raw=raw, size=len(raw), subject="hi", from_address="kim@example.com")

    page = client_for(admin_user).get(reverse("admin:support_inboundemail_change", args=[mail.pk])).content.decode()

    assert "SECRET-BODY-TEXT" not in page
    assert f"{len(raw)}" in page


def test_tickets_are_looked_up_in_the_admin_never_added_or_edited(client_for, admin_user):
    client = client_for(admin_user)
    ticket = TicketFactory(subject="Printer on fire")

    assert client.get(reverse("admin:support_ticket_add")).status_code == 403
    page = client.get(reverse("admin:support_ticket_change", args=[ticket.pk])).content.decode()
    assert "Printer on fire" in page and 'name="subject"' not in page
