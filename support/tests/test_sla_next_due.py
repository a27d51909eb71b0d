"""`Ticket.sla_next_due`, the stored next due time the lists sort by: it follows the
clock through the services, and the list's order is the one the due times give."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from customers.tests.factories import CustomerFactory
from support.models import Ticket
from support.services.tickets import ticket_open, ticket_reply, ticket_set_priority, ticket_set_status
from support.tests.factories import SlaPolicyFactory, TicketFactory


def _stored(ticket: Ticket) -> tuple:
    return Ticket.objects.values_list("sla_next_due", "first_response_due", "resolution_due").get(pk=ticket.pk)


def test_the_next_due_time_follows_the_clock_from_start_to_a_priority_change(queue, agent):
    SlaPolicyFactory(priority="normal", first_response_minutes=60, resolution_minutes=480)
    SlaPolicyFactory(priority="high", first_response_minutes=30, resolution_minutes=240)
    ticket = ticket_open(customer=CustomerFactory(), queue=queue, subject="Down", body="Help", channel="web")

    next_due, first_due, resolution_due = _stored(ticket)
    assert first_due is not None and next_due == first_due  # the first response is awaited

    ticket_reply(ticket=ticket, actor=agent, body="On it")
    next_due, _first, resolution_due = _stored(ticket)
    assert next_due == resolution_due  # answered: the resolution is next

    ticket_set_status(ticket=ticket, status=Ticket.Status.PENDING, actor=agent)
    assert _stored(ticket)[0] is None  # paused while the customer is awaited

    ticket_set_status(ticket=ticket, status=Ticket.Status.OPEN, actor=agent)
    next_due, _first, resolution_due = _stored(ticket)
    assert next_due == resolution_due is not None  # resumed (and pushed by the pause)

    ticket_set_priority(ticket=ticket, priority="high", actor=agent)
    next_due, _first, high_resolution_due = _stored(ticket)
    assert next_due == high_resolution_due < resolution_due  # the high policy's shorter target

    ticket_set_status(ticket=ticket, status=Ticket.Status.SOLVED, actor=agent)
    assert _stored(ticket)[0] is None  # solved: no clock runs


def test_the_list_keeps_the_nearest_running_clock_first_then_the_oldest(client_for, agent, queue):
    now = timezone.now()
    hours = [timedelta(hours=h) for h in range(6)]

    def make(age, **dues):
        return TicketFactory(queue=queue, created_at=now - age, **dues)

    late_first = make(hours[1], first_response_due=now - hours[1], resolution_due=now + hours[5])
    answered = make(hours[2], first_responded_at=now, first_response_due=now - hours[3], resolution_due=now + hours[2])
    tie_older = make(hours[5], resolution_due=now + hours[3])
    tie_newer = make(hours[1], resolution_due=now + hours[3])
    resolution_first = make(hours[1], first_response_due=now + hours[4], resolution_due=now + hours[1])
    paused = make(hours[3], status=Ticket.Status.PENDING, sla_paused_at=now, resolution_due=now - hours[5])
    no_clock_older = make(hours[4])
    no_clock_newer = make(hours[0], status=Ticket.Status.ON_HOLD)
    make(hours[0], status=Ticket.Status.SOLVED, resolution_due=now - hours[5])  # not in the default filter

    response = client_for(agent).get(reverse("support:ticket-list"))

    listed = [row.record.pk for row in response.context["table"].page.object_list]
    expected = [late_first, resolution_first, answered, tie_older, tie_newer, no_clock_older, paused, no_clock_newer]
    assert listed == [ticket.pk for ticket in expected]
