"""The ticket page and its endpoints, persona by persona: the outsider agent gets
404 everywhere, a sales rep reads public messages only and may not post."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from customers.tests.factories import CustomerFactory, TagFactory
from support.models import (
    KbArticle,
    KbCategory,
    Macro,
    OutboundEmail,
    Ticket,
    TicketAttachment,
    TicketEvent,
    TicketMessage,
    TicketPresence,
)
from support.services import tickets
from support.tests.factories import TicketFactory, TicketMessageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def ticket(queue, owner):
    customer = CustomerFactory(first_name="Kim", last_name="Lee", email="kim@example.com", owner=owner)
    ticket = TicketFactory(queue=queue, customer=customer, subject="Printer is on fire")
    TicketMessageFactory(ticket=ticket, body="My printer burns", message_id="<first@mail.example.com>")
    return ticket


@pytest.fixture
def note(ticket, agent):
    return TicketMessageFactory(
        ticket=ticket, from_customer=False, author=agent, kind="internal", body="Secret: grumpy customer"
    )


def _url(name, ticket, *args):
    return reverse(f"support:{name}", args=[ticket.pk, *args])


def _attachment(ticket, message, name="log.txt", content=b"hello"):
    return TicketAttachment.objects.create(
        ticket=ticket, message=message, file=SimpleUploadedFile(name, content), original_name=name, size=len(content),
        content_type="text/plain",
    )  # fmt: skip


POSTS = [
    ("ticket-message", {"body": "Hi", "kind": "public"}),
    ("ticket-status", {"status": "pending"}),
    ("ticket-assign", {"me": "1"}),
    ("ticket-priority", {"priority": "high"}),
    ("ticket-tags", {"remove": ""}),
    ("ticket-presence", {"replying": "0"}),
    ("ticket-merge", {"target": "1"}),
]


# --- access -------------------------------------------------------------------------------
def test_an_agent_of_the_queue_sees_the_thread_with_notes_and_the_forms(client_for, agent, ticket, note):
    response = client_for(agent).get(_url("ticket-detail", ticket))
    assert response.status_code == 200
    html = response.content.decode()
    assert "My printer burns" in html and "Secret: grumpy customer" in html
    assert f'action="/support/tickets/{ticket.pk}/messages/"' in html


def test_an_agent_outside_the_queue_gets_404_on_the_page_its_posts_and_its_attachment(
    client_for, outside_agent, ticket, note
):
    client = client_for(outside_agent)
    attachment = _attachment(ticket, ticket.messages.first())
    assert client.get(_url("ticket-detail", ticket)).status_code == 404
    for name, data in POSTS:
        assert client.post(_url(name, ticket), data).status_code == 404, name
    assert client.get(reverse("support:attachment", args=[attachment.pk])).status_code == 404
    assert not TicketMessage.objects.filter(body="Hi").exists()
    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.Status.NEW


def test_a_sales_rep_reads_public_messages_only_and_sees_no_forms(client_for, owner, ticket, note):
    response = client_for(owner).get(_url("ticket-detail", ticket))
    assert response.status_code == 200
    html = response.content.decode()
    assert "My printer burns" in html
    assert "grumpy" not in html and "Internal note" not in html
    assert "/messages/" not in html and "/status/" not in html and "/presence/" not in html


def test_a_sales_rep_gets_403_on_every_post(client_for, owner, ticket):
    client = client_for(owner)
    for name, data in POSTS:
        assert client.post(_url(name, ticket), data).status_code == 403, name
    assert not TicketMessage.objects.filter(body="Hi").exists()
    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.Status.NEW


def test_a_sales_rep_cannot_download_an_internal_notes_attachment(client_for, owner, ticket, note):
    attachment = _attachment(ticket, note)
    assert client_for(owner).get(reverse("support:attachment", args=[attachment.pk])).status_code == 404


def test_a_rep_outside_the_customers_scope_gets_404(client_for, outsider, ticket):
    assert client_for(outsider).get(_url("ticket-detail", ticket)).status_code == 404


# --- the thread ---------------------------------------------------------------------------
def test_an_internal_note_is_labelled_and_tinted(client_for, agent, ticket, note):
    html = client_for(agent).get(_url("ticket-detail", ticket)).content.decode()
    article = html[html.index(f'id="message-{note.pk}"') - 200 :][:1200]
    assert "border-warning" in article and "Internal note" in article


def test_inbound_html_is_shown_sanitised_and_quoted_history_folded(client_for, agent, ticket):
    TicketMessageFactory(
        ticket=ticket, body="See below", body_html="<p>See <b>below</b><script>alert(1)</script></p>",
        quoted_text="> On Monday you wrote",
    )  # fmt: skip
    html = client_for(agent).get(_url("ticket-detail", ticket)).content.decode()
    assert "<b>below</b>" in html and "<script>alert(1)" not in html
    assert "<summary" in html and "&gt; On Monday you wrote" in html


def test_the_history_reads_as_sentences(client_for, agent, ticket):
    tickets.ticket_set_status(ticket=ticket, status="pending", actor=agent)
    html = client_for(agent).get(_url("ticket-detail", ticket)).content.decode()
    assert "Status changed from New to Pending (waiting on the customer)" in html


def test_the_history_reads_in_turkish(client_for, agent, ticket):
    tickets.ticket_set_status(ticket=ticket, status="open", actor=agent)
    client = client_for(agent)
    html = client.get(_url("ticket-detail", ticket), HTTP_ACCEPT_LANGUAGE="tr").content.decode()
    assert "olarak değişti" in html  # "Status changed from … to …"
    assert "Taleplere dön" in html


# --- the reply box ------------------------------------------------------------------------
def test_a_public_reply_with_files_is_stored_and_mailed(client_for, agent, ticket, django_capture_on_commit_callbacks):
    files = [SimpleUploadedFile("a.txt", b"one"), SimpleUploadedFile("b.pdf", b"%PDF two")]
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(agent).post(
            _url("ticket-message", ticket), {"body": "Here you go", "kind": "public", "files": files}
        )
    assert response.status_code == 302
    reply = TicketMessage.objects.get(body="Here you go")
    assert reply.kind == "public" and reply.author == agent
    assert sorted(a.original_name for a in reply.attachments.all()) == ["a.txt", "b.pdf"]
    assert all("a.txt" not in a.file.name for a in reply.attachments.all())
    assert OutboundEmail.objects.get(ticket_message=reply).status == OutboundEmail.Status.SENT


def test_an_internal_note_is_not_mailed(client_for, agent, ticket):
    client_for(agent).post(_url("ticket-message", ticket), {"body": "Just for us", "kind": "internal"})
    note = TicketMessage.objects.get(body="Just for us")
    assert note.kind == "internal"
    assert not OutboundEmail.objects.filter(ticket_message=note).exists()


def test_a_file_over_the_limit_is_a_field_error_and_nothing_is_saved(client_for, agent, ticket, settings):
    settings.CRM_ATTACHMENT_MAX_BYTES = 10
    response = client_for(agent).post(
        _url("ticket-message", ticket),
        {"body": "Big file", "kind": "public", "files": [SimpleUploadedFile("big.bin", b"x" * 11)]},
    )
    assert response.status_code == 400
    assert "“big.bin” is too large" in response.content.decode()
    assert not TicketMessage.objects.filter(body="Big file").exists()
    assert not TicketAttachment.objects.exists()


def test_an_empty_reply_shows_a_field_error(client_for, agent, ticket):
    response = client_for(agent).post(_url("ticket-message", ticket), {"body": "  ", "kind": "public"})
    assert response.status_code == 400
    assert "invalid-feedback" in response.content.decode()


# --- macros -------------------------------------------------------------------------------
@pytest.fixture
def macro(queue):
    return Macro.objects.create(
        name="Thanks",
        queue=queue,
        body="Hi {{ customer.first_name }} {{customer.last_name}} ({{ customer.email }}), about #{{ ticket.id }} "
        "“{{ ticket.subject }}”. {% load static %}{{ secret.key }} — {{ agent.first_name }}",
    )


def test_a_macro_fills_its_fixed_placeholders_and_leaves_template_tags_literal(client_for, agent, ticket, macro):
    response = client_for(agent).get(_url("ticket-macro", ticket, macro.pk))
    assert response.status_code == 200
    text = response.content.decode()
    assert f"Hi Kim Lee (kim@example.com), about #{ticket.pk} “Printer is on fire”." in text
    assert "{% load static %}{{ secret.key }} — Alice" in text


def test_macros_of_another_queue_are_not_offered(client_for, agent, ticket, other_queue):
    other = Macro.objects.create(name="Billing only", queue=other_queue, body="x")
    Macro.objects.create(name="Everywhere", body="y")
    client = client_for(agent)
    html = client.get(_url("ticket-detail", ticket)).content.decode()
    assert "Everywhere" in html and "Billing only" not in html
    assert client.get(_url("ticket-macro", ticket, other.pk)).status_code == 404


def test_a_reply_with_a_macro_applies_its_actions(client_for, agent, ticket, macro):
    macro.set_status = "pending"
    macro.assign_to_me = True
    macro.save()
    macro.add_tags.add(TagFactory(name="printer"))
    client_for(agent).post(_url("ticket-message", ticket), {"body": "Done", "kind": "public", "macro": macro.pk})
    ticket.refresh_from_db()
    assert ticket.status == "pending" and ticket.assignee == agent
    assert list(ticket.tags.values_list("name", flat=True)) == ["printer"]
    assert TicketEvent.objects.filter(ticket=ticket, action="macro_applied", new_value="Thanks").exists()


# --- controls -----------------------------------------------------------------------------
def test_the_status_endpoint_changes_the_status(client_for, agent, ticket):
    response = client_for(agent).post(_url("ticket-status", ticket), {"status": "pending"})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "pending"
    assert TicketEvent.objects.filter(ticket=ticket, action="status", new_value="pending").exists()


def test_an_unknown_status_is_refused(client_for, agent, ticket):
    client_for(agent).post(_url("ticket-status", ticket), {"status": "exploded"})
    assert Ticket.objects.get(pk=ticket.pk).status == "new"


def test_assignee_priority_queue_and_tags_controls(client_for, agent, ticket, other_queue):
    client = client_for(agent)
    tag = TagFactory(name="vip")
    client.post(_url("ticket-assign", ticket), {"assignee": agent.pk})
    client.post(_url("ticket-priority", ticket), {"priority": "urgent"})
    client.post(_url("ticket-tags", ticket), {"tags": [tag.pk]})
    ticket.refresh_from_db()
    assert (ticket.assignee, ticket.priority, list(ticket.tags.all())) == (agent, "urgent", [tag])
    client.post(_url("ticket-tags", ticket), {"remove": tag.pk})
    assert not ticket.tags.exists()
    response = client.post(_url("ticket-queue", ticket), {"queue": other_queue.pk})
    assert Ticket.objects.get(pk=ticket.pk).queue == other_queue
    assert response.url == "/support/tickets/"  # no longer theirs: back to the list


def test_assigning_someone_outside_the_queue_is_refused(client_for, agent, outside_agent, ticket):
    client_for(agent).post(_url("ticket-assign", ticket), {"assignee": outside_agent.pk})
    assert Ticket.objects.get(pk=ticket.pk).assignee is None


# --- attachments --------------------------------------------------------------------------
def test_an_attachment_downloads_as_a_file_that_the_browser_does_not_sniff(client_for, agent, ticket):
    attachment = _attachment(ticket, ticket.messages.first(), name="report <1>.html", content=b"<script>x</script>")
    response = client_for(agent).get(reverse("support:attachment", args=[attachment.pk]))
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert response["Content-Type"] == "application/octet-stream"
    assert b"".join(response.streaming_content) == b"<script>x</script>"
    response.close()


def test_a_sales_rep_downloads_a_public_attachment(client_for, owner, ticket):
    attachment = _attachment(ticket, ticket.messages.first())
    response = client_for(owner).get(reverse("support:attachment", args=[attachment.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"hello"
    response.close()


# --- presence -----------------------------------------------------------------------------
def test_presence_shows_another_agent_replying(client_for, agent, ticket, queue):
    from accounts import roles
    from accounts.tests.factories import UserFactory

    bob = UserFactory(username="bob", first_name="Bob", last_name="", role=roles.SUPPORT_AGENT)
    queue.members.add(bob)
    client = client_for(bob)
    client.post(_url("ticket-presence", ticket), {"replying": "1"})
    response = client_for(agent).post(_url("ticket-presence", ticket), {"replying": "0"})
    assert "is replying" in response.content.decode()
    assert TicketPresence.objects.filter(ticket=ticket).count() == 2


def test_presence_shows_neither_the_viewer_nor_agents_gone_for_30_seconds(client_for, agent, ticket, queue):
    from datetime import timedelta

    from django.utils import timezone

    from accounts import roles
    from accounts.tests.factories import UserFactory

    gone = UserFactory(username="gus", first_name="Gus", role=roles.SUPPORT_AGENT)
    queue.members.add(gone)
    TicketPresence.objects.create(ticket=ticket, user=gone, seen_at=timezone.now() - timedelta(seconds=31))
    response = client_for(agent).post(_url("ticket-presence", ticket), {"replying": "0"})
    html = response.content.decode()
    assert "Gus" not in html and "Alice" not in html
    assert TicketPresence.objects.get(ticket=ticket, user=agent).replying is False


# --- merge --------------------------------------------------------------------------------
def test_merging_moves_messages_with_their_message_ids_and_closes_the_source(client_for, agent, ticket, queue):
    target = TicketFactory(queue=queue, customer=ticket.customer, subject="Printer again")
    _attachment(ticket, ticket.messages.first())
    response = client_for(agent).post(_url("ticket-merge", ticket), {"target": target.pk})
    assert response.status_code == 302 and response.url == f"/support/tickets/{target.pk}/"
    moved = TicketMessage.objects.get(message_id="<first@mail.example.com>")
    assert moved.ticket_id == target.pk
    assert TicketAttachment.objects.get().ticket_id == target.pk
    ticket.refresh_from_db()
    assert ticket.status == "closed" and ticket.merged_into == target
    assert TicketEvent.objects.filter(ticket=ticket, action="merged_into", new_value=str(target.pk)).exists()
    assert TicketEvent.objects.filter(ticket=target, action="merged_from", old_value=str(ticket.pk)).exists()
    assert f"/support/tickets/{target.pk}/" in ticket.messages.get(kind="internal").body


def test_merging_into_itself_or_a_merged_ticket_is_refused(client_for, agent, ticket, queue):
    merged = TicketFactory(queue=queue, merged_into=TicketFactory(queue=queue))
    client = client_for(agent)
    assert (
        "cannot be merged into itself"
        in client.post(_url("ticket-merge", ticket), {"target": ticket.pk}).content.decode()
    )
    assert "merge into that one" in client.post(_url("ticket-merge", ticket), {"target": merged.pk}).content.decode()
    assert Ticket.objects.get(pk=ticket.pk).merged_into is None


def test_merging_into_a_ticket_the_agent_may_not_work_is_refused(client_for, agent, ticket, other_queue):
    foreign = TicketFactory(queue=other_queue)
    response = client_for(agent).post(_url("ticket-merge", ticket), {"target": foreign.pk})
    assert "You cannot work on a ticket" in response.content.decode()
    assert TicketMessage.objects.filter(ticket=ticket).exists()


# --- undelivered mail ---------------------------------------------------------------------
def test_a_failed_mail_shows_its_error_and_can_be_retried(
    client_for, agent, ticket, django_capture_on_commit_callbacks
):
    reply = tickets.ticket_reply(ticket=ticket, actor=agent, body="Sent?")
    row = OutboundEmail.objects.get(ticket_message=reply)
    OutboundEmail.objects.filter(pk=row.pk).update(status="failed", error="550 mailbox unavailable")
    client = client_for(agent)
    assert "Not delivered: 550 mailbox unavailable" in client.get(_url("ticket-detail", ticket)).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("support:outbound-retry", args=[row.pk]))
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.status == OutboundEmail.Status.SENT and row.error == ""


def test_a_rep_and_an_outsider_cannot_retry_a_mail(client_for, owner, outside_agent, agent, ticket):
    reply = tickets.ticket_reply(ticket=ticket, actor=agent, body="Sent?")
    row = OutboundEmail.objects.get(ticket_message=reply)
    OutboundEmail.objects.filter(pk=row.pk).update(status="failed", error="boom")
    assert client_for(owner).post(reverse("support:outbound-retry", args=[row.pk])).status_code == 403
    assert client_for(outside_agent).post(reverse("support:outbound-retry", args=[row.pk])).status_code == 404
    assert OutboundEmail.objects.get(pk=row.pk).status == "failed"


# --- side cards ---------------------------------------------------------------------------
def test_published_articles_matching_the_subject_are_suggested(client_for, agent, ticket):
    category = KbCategory.objects.create(name="Hardware", slug="hardware")
    KbArticle.objects.create(
        category=category, title="Printer safety", slug="printer-safety", body="x", status="published"
    )
    KbArticle.objects.create(category=category, title="Printer draft", slug="printer-draft", body="x")
    KbArticle.objects.create(
        category=category, title="Printer internals", slug="printer-internals", body="x", status="published",
        visibility="internal",
    )  # fmt: skip
    html = client_for(agent).get(_url("ticket-detail", ticket)).content.decode()
    assert "Printer safety" in html and "Printer internals" in html and "Printer draft" not in html
    assert 'data-insert-link="http://127.0.0.1:8000/help/articles/printer-safety/"' in html
    assert "/help/articles/printer-internals/" not in html.split("data-insert-link")[-1]


def test_the_customer_card_links_the_customer_and_lists_other_open_tickets(
    client_for, agent, ticket, queue, other_queue
):
    TicketFactory(queue=queue, customer=ticket.customer, subject="Second visible issue")
    TicketFactory(queue=other_queue, customer=ticket.customer, subject="Hidden billing issue")
    html = client_for(agent).get(_url("ticket-detail", ticket)).content.decode()
    assert f'href="/customers/{ticket.customer.pk}/"' in html
    assert "Second visible issue" in html and "Hidden billing issue" not in html


# --- query count --------------------------------------------------------------------------
def _thread_of(ticket, agent, n):
    for i in range(n):
        message = TicketMessageFactory(ticket=ticket, body=f"message {i}", from_customer=i % 2 == 0)
        if i % 3 == 0:
            _attachment(ticket, message, name=f"f{i}.txt")
        if i % 5 == 0:
            TicketMessageFactory(ticket=ticket, kind="internal", from_customer=False, author=agent, body=f"note {i}")


# Session and user, roles, the ticket, may-work twice (page, notes filter), messages with their
# attachments and undelivered mails, the customer card (orders x2, RFM, open tickets, CSAT), macros,
# history, undelivered ticket mails, agents, queues, ticket tags, tag choices, KB suggestions.
PAGE_QUERIES = 22


def test_the_page_query_count_does_not_grow_with_the_thread(
    client_for, agent, ticket, queue, django_assert_num_queries
):
    small = TicketFactory(queue=queue, customer=ticket.customer)
    big = TicketFactory(queue=queue, customer=ticket.customer)
    _thread_of(small, agent, 3)
    _thread_of(big, agent, 30)
    client = client_for(agent)
    for one in (small, big):
        with django_assert_num_queries(PAGE_QUERIES):
            assert client.get(_url("ticket-detail", one)).status_code == 200


def test_the_sla_clocks_count_down_and_show_a_breach(client_for, agent, ticket):
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    Ticket.objects.filter(pk=ticket.pk).update(
        first_response_due=now - timedelta(minutes=35, seconds=30),
        resolution_due=now + timedelta(hours=2, minutes=10, seconds=30),
    )
    html = client_for(agent).get(_url("ticket-detail", ticket)).content.decode()
    assert "First response: breached 35m ago" in html
    assert "Resolution: 2h 10m left" in html
    assert "text-bg-danger" in html
