"""The customers' pages without login: a new request, the ticket link, the survey."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.utils import timezone

from customers.models import Customer
from customers.tests.factories import CustomerFactory
from support import tokens
from support.models import CsatSurvey, OutboundEmail, Queue, Ticket, TicketAttachment, TicketMessage
from support.services import tickets
from support.services.outbound import ticket_link

pytestmark = pytest.mark.django_db

NEW = "/help/new/"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def general_queue(db):
    """The web form's queue, as the data migration makes it (a transactional test elsewhere may have flushed it)."""
    queue, _ = Queue.objects.update_or_create(slug="general", defaults={"name": "General", "auto_acknowledge": True})
    return queue


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _request(**overrides):
    fields = {"name": "Kim Lee", "email": "kim@example.com", "subject": "Printer on fire", "body": "It smokes."}
    return {**fields, **overrides}


def _ticket(queue, email="kim@example.com", **kwargs):
    customer = CustomerFactory(email=email)
    return tickets.ticket_open(customer=customer, queue=queue, subject="Printer on fire", body="It smokes.",
                               channel="web", **kwargs)  # fmt: skip


def _path(ticket):
    """The link's path, signed now."""
    return urlsplit(ticket_link(ticket)).path


def _linked_ticket_id(body):
    """The ticket the mail's magic link opens (the signature carries a timestamp, so compare ids)."""
    token = re.search(r"/help/t/([^/\s]+)/", body).group(1)
    return tokens.ticket_from_token(token).pk


# --- a new request -----------------------------------------------------------------
def test_the_form_opens_a_web_ticket_in_the_general_queue_and_says_the_link_was_mailed(client):
    response = client.post(NEW, _request(), follow=True)
    ticket = Ticket.objects.get()
    assert (ticket.channel, ticket.queue.slug, ticket.subject) == ("web", "general", "Printer on fire")
    assert ticket.messages.get().body == "It smokes."
    assert "We have emailed you a link" in response.content.decode()


def test_the_form_matches_the_customer_by_email_whatever_its_case(client):
    kim = CustomerFactory(email="Kim@Example.com")
    client.post(NEW, _request(email="kim@EXAMPLE.com"))
    assert Ticket.objects.get().customer == kim
    assert Customer.objects.filter(email__iexact="kim@example.com").count() == 1


def test_the_acknowledgement_mails_the_magic_link_to_the_new_customer(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(NEW, _request(email="new@example.com"))
    ticket = Ticket.objects.get()
    assert [m.to for m in mail.outbox] == [["new@example.com"]]
    assert _linked_ticket_id(mail.outbox[0].body) == ticket.pk


def test_a_queue_that_does_not_acknowledge_still_mails_the_link(client, django_capture_on_commit_callbacks):
    Queue.objects.filter(slug="general").update(auto_acknowledge=False)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(NEW, _request())
    row = OutboundEmail.objects.get()
    assert (row.kind, row.to_address) == (OutboundEmail.Kind.LINK, "kim@example.com")
    assert _linked_ticket_id(mail.outbox[0].body) == Ticket.objects.get().pk


def test_a_filled_honeypot_gets_the_thanks_page_and_creates_nothing(client):
    response = client.post(NEW, _request(website="http://spam.example"), follow=True)
    assert "We have emailed you a link" in response.content.decode()
    assert not Ticket.objects.exists()
    assert not Customer.objects.exists()


def test_the_sixth_request_in_an_hour_from_one_address_gets_429(client):
    for n in range(5):
        assert client.post(NEW, _request(email=f"p{n}@example.com")).status_code == 302
    response = client.post(NEW, _request(email="p6@example.com"))
    assert response.status_code == 429
    assert "Too many requests" in response.content.decode()
    assert Ticket.objects.count() == 5


def test_the_sixth_request_in_an_hour_for_one_email_gets_429_from_any_address(client):
    for n in range(5):
        client.post(NEW, _request(), REMOTE_ADDR=f"10.0.0.{n}")
    response = client.post(NEW, _request(email="KIM@example.com"), REMOTE_ADDR="10.0.0.99")
    assert response.status_code == 429
    assert Ticket.objects.count() == 5


def test_the_rate_limit_window_ends_after_an_hour(client, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    for _ in range(6):
        client.post(NEW, _request())
    time_machine.shift(timedelta(hours=1, seconds=1))
    assert client.post(NEW, _request()).status_code == 302


def test_the_form_renders_in_turkish(client):
    response = client.get(NEW, HTTP_ACCEPT_LANGUAGE="tr")
    assert "Destek" in response.content.decode()
    assert "Gönder" in response.content.decode()


def test_the_form_page_has_no_crm_navigation(client):
    content = client.get(NEW).content.decode()
    assert 'name="website"' in content
    assert "Main navigation" not in content


# --- the ticket link ---------------------------------------------------------------
def test_a_tampered_link_is_404(client, queue):
    ticket = _ticket(queue)
    token = tokens.ticket_token(ticket)
    assert client.get(f"/help/t/{token[:-2]}xx/").status_code == 404
    assert client.post(f"/help/t/{token[:-2]}xx/reply/", {"body": "hi"}).status_code == 404
    assert client.post(f"/help/t/{token[:-2]}xx/fresh/").status_code == 404


def test_the_link_shows_public_replies_and_never_an_internal_note(client, queue, agent):
    ticket = _ticket(queue)
    tickets.ticket_reply(ticket=ticket, actor=agent, body="We are sending a technician.")
    tickets.ticket_reply(ticket=ticket, actor=agent, body="Customer is grumpy, careful", kind="internal")
    content = client.get(_path(ticket)).content.decode()
    assert "We are sending a technician." in content
    assert "It smokes." in content
    assert "grumpy" not in content


def test_an_expired_link_offers_a_fresh_one_that_goes_only_to_the_customer(
    client, queue, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to(timezone.now() - timedelta(days=31), tick=False)
    ticket = _ticket(queue, email="kim@example.com")
    path = _path(ticket)
    time_machine.move_to(timezone.now() + timedelta(days=31), tick=False)
    response = client.get(path)
    content = response.content.decode()
    assert response.status_code == 410
    assert "Email me a fresh link" in content and "Printer on fire" not in content
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(path + "fresh/", {"email": "mallory@example.com"})
    assert "A fresh link is on its way" in response.content.decode()
    assert "kim@example.com" not in response.content.decode()
    assert [m.to for m in mail.outbox] == [["kim@example.com"]]
    assert OutboundEmail.objects.filter(kind=OutboundEmail.Kind.LINK).get().to_address == "kim@example.com"
    assert client.get(_path(ticket)).status_code == 200  # the fresh one works


def test_fresh_links_are_rate_limited(client, queue):
    path = _path(_ticket(queue))
    statuses = [client.post(path + "fresh/").status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    assert OutboundEmail.objects.filter(kind=OutboundEmail.Kind.LINK).count() == 5


def test_a_customer_reply_reopens_a_pending_ticket(client, queue, agent):
    ticket = _ticket(queue)
    tickets.ticket_set_status(ticket=ticket, status=Ticket.Status.PENDING, actor=agent)
    response = client.post(_path(ticket) + "reply/", {"body": "Still smoking."}, follow=True)
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN
    message = ticket.messages.last()
    assert (message.body, message.from_customer, message.kind) == ("Still smoking.", True, "public")
    assert "your answer was added" in response.content.decode()


def test_an_empty_reply_is_a_form_error(client, queue):
    ticket = _ticket(queue)
    response = client.post(_path(ticket) + "reply/", {"body": ""})
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    assert ticket.messages.count() == 1


def test_replies_are_rate_limited(client, queue):
    path = _path(_ticket(queue))
    statuses = [client.post(path + "reply/", {"body": f"Note {n}"}).status_code for n in range(6)]
    assert statuses == [302] * 5 + [429]


def test_a_public_attachment_downloads_as_an_attachment_without_sniffing(client, queue, agent, media):
    ticket = _ticket(queue)
    reply = tickets.ticket_reply(ticket=ticket, actor=agent, body="See the manual.")
    attachment = TicketAttachment.objects.create(
        ticket=ticket, message=reply, file=ContentFile(b"<html>manual</html>", name="m"),
        original_name="manual.html", size=19, content_type="text/html",
    )  # fmt: skip
    response = client.get(f"{_path(ticket)}attachments/{attachment.pk}/")
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content) == b"<html>manual</html>"


def test_an_internal_notes_attachment_is_not_downloadable_through_the_link(client, queue, agent, media):
    ticket = _ticket(queue)
    note = tickets.ticket_reply(ticket=ticket, actor=agent, body="Invoice dispute", kind="internal")
    attachment = TicketAttachment.objects.create(
        ticket=ticket, message=note, file=ContentFile(b"secret", name="s"),
        original_name="secret.txt", size=6, content_type="text/plain",
    )  # fmt: skip
    assert client.get(f"{_path(ticket)}attachments/{attachment.pk}/").status_code == 404
    assert "secret.txt" not in client.get(_path(ticket)).content.decode()


def test_another_tickets_attachment_is_not_downloadable_through_the_link(client, queue, agent, media):
    mine, theirs = _ticket(queue), _ticket(queue, email="other@example.com")
    reply = tickets.ticket_reply(ticket=theirs, actor=agent, body="Yours")
    attachment = TicketAttachment.objects.create(
        ticket=theirs, message=reply, file=ContentFile(b"x", name="x"), original_name="x.txt", size=1,
        content_type="text/plain",
    )  # fmt: skip
    assert client.get(f"{_path(mine)}attachments/{attachment.pk}/").status_code == 404


# --- the survey --------------------------------------------------------------------
@pytest.fixture
def survey(queue, agent):
    ticket = _ticket(queue)
    ticket.assignee = agent
    ticket.save()
    tickets.ticket_set_status(ticket=ticket, status=Ticket.Status.SOLVED, actor=agent)
    return CsatSurvey.objects.get(ticket=ticket)


def _survey_path(survey):
    return f"/help/csat/{tokens.survey_token(survey)}/"


def test_a_survey_is_answered_once_and_a_second_answer_gets_409(client, survey):
    response = client.post(_survey_path(survey), {"score": "5", "comment": "Quick and kind"}, follow=True)
    assert "Thank you for your feedback" in response.content.decode()
    survey.refresh_from_db()
    assert (survey.score, survey.comment) == (5, "Quick and kind")
    second = client.post(_survey_path(survey), {"score": "1", "comment": "changed my mind"})
    assert second.status_code == 409
    survey.refresh_from_db()
    assert survey.score == 5


def test_a_score_out_of_range_is_a_form_error(client, survey):
    response = client.post(_survey_path(survey), {"score": "6"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    survey.refresh_from_db()
    assert survey.answered_at is None


def test_a_tampered_survey_link_is_404(client, survey):
    assert client.get(_survey_path(survey)[:-3] + "x/").status_code == 404


def test_an_expired_survey_link_offers_a_fresh_survey_mail_to_the_customer(
    client, survey, time_machine, django_capture_on_commit_callbacks
):
    path = _survey_path(survey)
    time_machine.move_to(timezone.now() + timedelta(days=31), tick=False)
    assert client.get(path).status_code == 410
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(path + "fresh/")
    assert [m.to for m in mail.outbox] == [["kim@example.com"]]
    assert "/help/csat/" in mail.outbox[0].body


def test_the_survey_page_never_shows_the_thread(client, survey, agent):
    tickets.ticket_reply(ticket=survey.ticket, actor=agent, body="Note: refund later", kind="internal")
    content = client.get(_survey_path(survey)).content.decode()
    assert "refund later" not in content and "How did we do?" in content


def test_a_note_by_tickets_reply_is_internal(queue, agent):
    # The fixtures above rely on this: ticket_reply(kind="internal") stores a note.
    note = tickets.ticket_reply(ticket=_ticket(queue), actor=agent, body="x", kind="internal")
    assert note.kind == TicketMessage.Kind.INTERNAL


# --- query counts ---------------------------------------------------------------
def test_the_link_page_takes_the_same_queries_whatever_the_thread_length(
    client, queue, agent, media, django_assert_max_num_queries
):
    ticket = _ticket(queue)
    path = _path(ticket)
    client.get(path)  # the session and CSRF cookie exist from here on
    for n in range(10):
        reply = tickets.ticket_reply(ticket=ticket, actor=agent, body=f"Reply {n}")
        TicketAttachment.objects.create(
            ticket=ticket, message=reply, file=ContentFile(b"x", name="x"), original_name=f"{n}.txt", size=1,
            content_type="text/plain",
        )  # fmt: skip
    with django_assert_max_num_queries(5):
        assert client.get(path).status_code == 200
