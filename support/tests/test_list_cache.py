"""The ticket list's content from the fragment cache (crm_project.lists.CachedContentMixin): a
warm list reads no ticket, every way of writing what it shows (a ticket from email, the agent's
form, the bulk actions, status and assignee changes, the escalation pass, queue membership)
shows on the very next request, and an SLA clock's state is never late."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from customers.tests.factories import CustomerFactory, TagFactory
from support.models import SlaRule, Ticket
from support.services import agent as agent_services
from support.services import bulk, inbound
from support.services import tickets as ticket_services
from support.services.escalation import sla_escalate
from support.tests.factories import QueueFactory, TicketFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("early_in_a_minute")]

LIST = reverse("support:ticket-list")


def rows(client, **params) -> str:
    html = client.get(LIST, params).content.decode()
    return html[html.index("<tbody") : html.index("</tbody>")]


def drawn_again(client, **params) -> bool:
    with CaptureQueriesContext(connection) as captured:
        rows(client, **params)
    return any('"support_ticket"' in query["sql"] for query in captured.captured_queries)


def warm(client, **params) -> str:
    """The list, asked twice: the second answer must come from the cache (no ticket read)."""
    rows(client, **params)
    with CaptureQueriesContext(connection) as captured:
        html = rows(client, **params)
    assert not any('"support_ticket"' in query["sql"] for query in captured.captured_queries), "drawn again"
    return html


def test_a_ticket_from_email_shows_at_once(client_for, agent, queue):
    client = client_for(agent)
    warm(client)
    raw = b"From: Kim <kim@example.com>\nTo: help@example.com\nSubject: Printer on fire\nMessage-ID: <p1@example.com>\n"
    inbound.email_ingest(raw=raw + b"Content-Type: text/plain; charset=utf-8\n\nHelp\n", queue=queue)
    assert "Printer on fire" in rows(client)


def test_a_ticket_an_agent_opens_shows_at_once(client_for, agent, queue):
    client = client_for(agent)
    warm(client)
    agent_services.ticket_open_by_agent(
        actor=agent,
        customer=CustomerFactory(),
        email="",
        name="",
        queue=queue,
        subject="Printer on fire",
        body="Smoke",
        priority="normal",
        channel=Ticket.Channel.PHONE,
    )
    assert "Printer on fire" in rows(client)


def test_a_status_change_shows_at_once(client_for, agent, queue):
    ticket = TicketFactory(queue=queue, subject="Printer on fire", status="open")
    client = client_for(agent)
    assert "Printer on fire" in warm(client)
    ticket_services.ticket_set_status(ticket=ticket, status=Ticket.Status.SOLVED, actor=agent)
    assert "Printer on fire" not in rows(client)  # the list shows the unsolved tickets


def test_an_assignment_shows_at_once(client_for, agent, queue):
    ticket = TicketFactory(queue=queue)
    client = client_for(agent)
    assert "Alice" not in warm(client)
    ticket_services.ticket_assign(ticket=ticket, assignee=agent, actor=agent)
    assert "Alice" in rows(client)


@pytest.mark.parametrize("action", ["assign", "status", "move", "tag"])
def test_each_bulk_action_shows_at_once(client_for, agent, queue, action):
    TicketFactory(queue=queue, subject="Printer on fire", status="open")
    client = client_for(agent)
    before = warm(client, status="all")
    chosen = Ticket.objects.all()
    if action == "assign":
        bulk.tickets_bulk_assign(tickets_qs=chosen, assignee=agent, actor=agent)
        changed = "Alice"
    elif action == "status":
        bulk.tickets_bulk_set_status(tickets_qs=chosen, status=Ticket.Status.PENDING, actor=agent)
        changed = "Pending"
    elif action == "move":
        moved_to = QueueFactory(name="Hardware", slug="hardware", team=queue.team)
        moved_to.members.add(agent)
        bulk.tickets_bulk_move(tickets_qs=chosen, queue=moved_to, actor=agent)
        changed = "Hardware"
    else:
        bulk.tickets_bulk_add_tag(tickets_qs=chosen, tag=TagFactory(name="Hot"), actor=agent)
        html = rows(client, status="all", tag=Ticket.objects.get().tags.get().pk)
        assert "Printer on fire" in html
        return
    assert changed not in before
    assert changed in rows(client, status="all")


def test_the_escalation_pass_raising_a_priority_shows_at_once(client_for, agent, queue):
    TicketFactory(queue=queue, status="open", priority="low", resolution_due=timezone.now() - timedelta(minutes=5))
    SlaRule.objects.create(name="Raise", when="breach", target="resolution", action="raise_priority")
    client = client_for(agent)
    assert ">Normal</span>" not in warm(client)
    sla_escalate(now=timezone.now())
    assert ">Normal</span>" in rows(client)


def test_an_agent_taken_off_a_queue_stops_seeing_its_tickets_at_once(client_for, agent, queue):
    TicketFactory(queue=queue, subject="Printer on fire")
    client = client_for(agent)
    assert "Printer on fire" in warm(client)
    queue.members.remove(agent)
    assert "Printer on fire" not in rows(client)


@pytest.mark.parametrize(
    ("due_in", "state", "later"),
    [(timedelta(seconds=30), "near", "breached"), (timedelta(hours=1, seconds=30), "ok", "near")],
    ids=["breaching", "turning-near"],
)
def test_a_clock_that_changes_state_later_in_the_minute_is_not_kept_and_shows_its_new_state(
    client_for, agent, queue, time_machine, due_in, state, later
):
    minute = timezone.now().replace(second=0, microsecond=0) + timedelta(minutes=1)
    time_machine.move_to(minute + timedelta(seconds=10), tick=False)
    TicketFactory(queue=queue, status="open", resolution_due=minute + timedelta(seconds=10) + due_in)
    client = client_for(agent)
    assert f'data-sla-state="{state}"' in rows(client)
    assert drawn_again(client)
    time_machine.move_to(minute + timedelta(seconds=50), tick=False)
    assert f'data-sla-state="{later}"' in rows(client)


def test_countdowns_are_kept_for_their_minute_and_drawn_again_in_the_next(client_for, agent, queue, time_machine):
    minute = timezone.now().replace(second=0, microsecond=0) + timedelta(minutes=1)
    time_machine.move_to(minute + timedelta(seconds=10), tick=False)
    TicketFactory(queue=queue, status="open", resolution_due=minute + timedelta(hours=2, minutes=10))
    client = client_for(agent)
    assert "2h 9m left" in warm(client)
    time_machine.move_to(minute + timedelta(minutes=1, seconds=10), tick=False)
    assert "2h 8m left" in rows(client)


def test_the_sla_filter_is_never_kept(client_for, agent, queue):
    """Its set compares every clock with now: any ticket may join it within the minute."""
    TicketFactory(queue=queue, status="open", resolution_due=timezone.now() - timedelta(minutes=5))
    client = client_for(agent)
    rows(client, sla="breached")
    assert drawn_again(client, sla="breached")
