from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.mail import EmailMessage
from django.http import Http404

from customers.models import Interaction
from customers.tests.factories import CustomerFactory, TagFactory
from support.models import CsatSurvey, OutboundEmail, Ticket, TicketEvent, TicketMessage
from support.selectors.tickets import ticket_get_for_user, ticket_messages_for_user
from support.services import tickets
from support.tests.factories import SlaPolicyFactory, TicketFactory

pytestmark = pytest.mark.django_db

UTC = ZoneInfo("UTC")


def _open(queue, customer=None, **kwargs):
    return tickets.ticket_open(
        customer=customer or CustomerFactory(), queue=queue, subject="Printer on fire", body="Help", channel="web",
        **kwargs,
    )  # fmt: skip


def test_opening_a_ticket_writes_its_first_message_an_event_and_a_timeline_entry(queue):
    customer = CustomerFactory(email="kim@example.com")
    ticket = _open(queue, customer)
    assert ticket.messages.get().from_customer is True
    assert TicketEvent.objects.get(ticket=ticket).action == "created"
    entry = Interaction.objects.get(customer=customer, action="ticket.opened")
    assert entry.data == {"ticket": ticket.pk, "subject": "Printer on fire"}
    assert "Help" not in entry.summary


def test_a_queue_that_acknowledges_mails_the_customer_their_link(queue, django_capture_on_commit_callbacks):
    queue.auto_acknowledge = True
    queue.save()
    with django_capture_on_commit_callbacks(execute=True):
        ticket = _open(queue, CustomerFactory(email="kim@example.com"))
    ack = OutboundEmail.objects.get(ticket=ticket, kind=OutboundEmail.Kind.ACKNOWLEDGEMENT)
    assert ack.status == OutboundEmail.Status.SENT
    assert mail.outbox[0].extra_headers["Auto-Submitted"] == "auto-replied"
    assert "/help/t/" in mail.outbox[0].body
    assert f"[Ticket #{ticket.pk}]" in mail.outbox[0].subject


def test_an_agents_reply_is_mailed_in_the_thread_and_a_note_is_not(queue, agent, django_capture_on_commit_callbacks):
    ticket = _open(queue, CustomerFactory(email="kim@example.com"))
    first = ticket.messages.get()
    first.message_id = "first@mail.example.com"
    first.save()
    with django_capture_on_commit_callbacks(execute=True):
        tickets.ticket_reply(ticket=ticket, actor=agent, body="Secret: the customer is grumpy", kind="internal")
        reply = tickets.ticket_reply(ticket=ticket, actor=agent, body="We are on it")
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert "We are on it" in sent.body and "grumpy" not in sent.body
    assert sent.extra_headers["In-Reply-To"] == "<first@mail.example.com>"
    assert sent.extra_headers["Message-ID"] == f"<{reply.message_id}>"
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN
    assert ticket.first_responded_at is not None


def test_a_failed_send_stays_failed_with_its_error_and_the_reply_is_kept(queue, agent, settings, monkeypatch):
    from support.services import mailing

    ticket = _open(queue, CustomerFactory(email="kim@example.com"))
    reply = tickets.ticket_reply(ticket=ticket, actor=agent, body="We are on it")
    row = OutboundEmail.objects.get(ticket_message=reply)
    monkeypatch.setattr(EmailMessage, "send", lambda self: (_ for _ in ()).throw(OSError("SMTP down")))
    mailing.outbound_deliver(outbound_id=row.pk)
    row.refresh_from_db()
    assert row.status == OutboundEmail.Status.FAILED and "SMTP down" in row.error
    assert TicketMessage.objects.filter(pk=reply.pk).exists()


def test_a_sent_row_is_never_sent_twice(queue, agent):
    from support.services import mailing

    ticket = _open(queue, CustomerFactory(email="kim@example.com"))
    reply = tickets.ticket_reply(ticket=ticket, actor=agent, body="We are on it")
    row = OutboundEmail.objects.get(ticket_message=reply)
    mailing.outbound_deliver(outbound_id=row.pk)
    mailing.outbound_deliver(outbound_id=row.pk)
    assert len(mail.outbox) == 1


def test_the_most_specific_policy_sets_the_clock_in_business_hours(queue, time_machine, settings):
    from support.models import BusinessCalendar

    queue.calendar = BusinessCalendar.objects.get(name="Office hours")  # Mon-Fri 9-17 (the migration's)
    queue.save()
    time_machine.move_to(datetime(2026, 12, 4, 16, 30, tzinfo=UTC), tick=False)  # a Friday
    vip = TagFactory(name="VIP")
    SlaPolicyFactory(priority="normal", first_response_minutes=600)
    SlaPolicyFactory(priority="normal", queue=queue, first_response_minutes=120)
    SlaPolicyFactory(priority="normal", queue=queue, customer_tag=vip, first_response_minutes=60)
    customer = CustomerFactory()
    customer.tags.add(vip)
    ticket = _open(queue, customer)
    assert ticket.first_response_due == datetime(2026, 12, 7, 9, 30, tzinfo=UTC)


def test_no_matching_policy_means_no_clock_and_no_error(queue):
    SlaPolicyFactory(priority="urgent")
    ticket = _open(queue)
    assert ticket.sla_policy is None and ticket.first_response_due is None and ticket.resolution_due is None


def test_waiting_on_the_customer_pauses_the_clock(queue, agent, time_machine):
    time_machine.move_to(datetime(2026, 12, 7, 9, 0, tzinfo=UTC), tick=False)  # Monday, 24/7 queue without a calendar
    SlaPolicyFactory(priority="normal", resolution_minutes=240)
    ticket = _open(queue)
    assert ticket.resolution_due == datetime(2026, 12, 7, 13, 0, tzinfo=UTC)
    time_machine.move_to(datetime(2026, 12, 7, 10, 0, tzinfo=UTC), tick=False)
    tickets.ticket_set_status(ticket=ticket, status=Ticket.Status.PENDING, actor=agent)
    time_machine.move_to(datetime(2026, 12, 7, 12, 0, tzinfo=UTC), tick=False)
    tickets.ticket_customer_reply(ticket=ticket, body="Here is the log")
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN
    assert ticket.resolution_due == datetime(2026, 12, 7, 15, 0, tzinfo=UTC)


def test_solving_records_a_survey_and_the_timeline(queue, agent):
    ticket = _open(queue)
    tickets.ticket_assign(ticket=ticket, assignee=agent, actor=agent)
    tickets.ticket_set_status(ticket=ticket, status=Ticket.Status.SOLVED, actor=agent)
    survey = CsatSurvey.objects.get(ticket=ticket)
    assert survey.agent == agent and survey.queue == queue
    assert Interaction.objects.filter(customer=ticket.customer, action="ticket.solved").exists()
    assert list(ticket.events.values_list("action", flat=True)) == ["created", "assignee", "status"]


def test_an_agent_outside_the_queue_gets_404(queue, outside_agent):
    ticket = TicketFactory(queue=queue)
    with pytest.raises(Http404):
        ticket_get_for_user(user=outside_agent, pk=ticket.pk)


def test_the_team_manager_sees_the_queue_tickets_and_an_outsider_manager_does_not(queue, manager, other_queue):
    mine, theirs = TicketFactory(queue=queue), TicketFactory(queue=other_queue)
    assert set(Ticket.objects.visible_to(manager)) == {mine}
    assert theirs not in Ticket.objects.workable_by(manager)


def test_a_sales_rep_sees_public_messages_of_their_customers_tickets_only(queue, owner, outsider, agent):
    ticket = _open(queue, CustomerFactory(owner=owner))
    tickets.ticket_reply(ticket=ticket, actor=agent, body="internal only", kind="internal")
    seen = ticket_get_for_user(user=owner, pk=ticket.pk)
    bodies = [m.body for m in ticket_messages_for_user(user=owner, ticket=seen)]
    assert bodies == ["Help"]
    with pytest.raises(Http404):
        ticket_get_for_user(user=outsider, pk=ticket.pk)


def test_a_sales_rep_may_read_but_not_change_a_ticket(queue, owner):
    from django.core.exceptions import PermissionDenied

    ticket = TicketFactory(queue=queue, customer=CustomerFactory(owner=owner))
    with pytest.raises(PermissionDenied):
        ticket_get_for_user(user=owner, pk=ticket.pk, write=True)
