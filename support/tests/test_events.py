"""The support events (crm_project.events): each change tells the sinks once, inside
its transaction; a change that changes nothing tells nothing."""

import pytest
from django.db import transaction

from customers.tests.factories import CustomerFactory
from support.models import CsatSurvey, Ticket
from support.services import csat, help, tickets
from support.services.bulk import tickets_bulk_set_status
from support.tests.factories import TicketFactory

SOLVED = Ticket.Status.SOLVED


class Rollback(Exception):
    pass


def names(emitted) -> list[str]:
    return [e["name"] for e in emitted]


def open_ticket(queue, actor=None):
    return tickets.ticket_open(
        customer=CustomerFactory(), queue=queue, subject="Printer on fire", body="Help", channel="web", actor=actor
    )


def test_opening_a_ticket_emits_ticket_created_once(emitted, queue, agent):
    ticket = open_ticket(queue, actor=agent)
    assert emitted == [{"name": "ticket.created", "instance": ticket, "actor": agent, "data": {}}]


def test_the_help_form_announces_the_new_customer_and_the_ticket(emitted, db):
    ticket = help.help_request_submit(name="Kim Park", email="kim@example.com", subject="Invoice", body="Where?")
    assert names(emitted) == ["customer.created", "ticket.created"]
    assert emitted[1]["instance"] == ticket and emitted[1]["actor"] is None


def test_solving_a_ticket_emits_ticket_solved_with_the_status_it_left(emitted, queue, agent):
    ticket = open_ticket(queue, actor=agent)
    emitted.clear()
    tickets.ticket_set_status(ticket=ticket, status=SOLVED, actor=agent)
    assert emitted == [{"name": "ticket.solved", "instance": ticket, "actor": agent, "data": {"from_status": "new"}}]


def test_solving_a_solved_ticket_or_moving_it_elsewhere_emits_nothing(emitted, queue, agent):
    ticket = TicketFactory(queue=queue, status=SOLVED)
    tickets.ticket_set_status(ticket=ticket, status=SOLVED, actor=agent)
    tickets.ticket_set_status(ticket=ticket, status=Ticket.Status.CLOSED, actor=agent)
    assert emitted == []


def test_a_ticket_solved_again_after_the_customer_wrote_back_is_solved_twice(emitted, queue, agent):
    ticket = open_ticket(queue, actor=agent)
    tickets.ticket_set_status(ticket=ticket, status=SOLVED, actor=agent)
    tickets.ticket_customer_reply(ticket=ticket, body="Still broken")
    tickets.ticket_set_status(ticket=ticket, status=SOLVED, actor=agent)
    assert names(emitted) == ["ticket.created", "ticket.solved", "ticket.solved"]


def test_solving_in_bulk_emits_ticket_solved_per_ticket_that_changed(emitted, queue, agent):
    first, second = TicketFactory(queue=queue), TicketFactory(queue=queue)
    TicketFactory(queue=queue, status=SOLVED)
    tickets_bulk_set_status(tickets_qs=Ticket.objects.filter(queue=queue), status=SOLVED, actor=agent)
    assert sorted((e["name"], e["instance"].pk) for e in emitted) == [
        ("ticket.solved", first.pk),
        ("ticket.solved", second.pk),
    ]


def test_answering_a_survey_emits_csat_answered_once_with_the_ticket_and_score(emitted, queue, agent):
    ticket = TicketFactory(queue=queue)
    survey = CsatSurvey.objects.create(ticket=ticket, agent=agent, queue=queue)
    answered = csat.survey_answer(survey=survey, score=4, comment="Quick, thanks")
    with pytest.raises(csat.SurveyAlreadyAnswered):
        csat.survey_answer(survey=survey, score=1)
    assert emitted == [
        {"name": "csat.answered", "instance": answered, "actor": None, "data": {"ticket": ticket.pk, "score": 4}}
    ]
    assert emitted[0]["instance"].pk == survey.pk


# --- the webhook outbox -------------------------------------------------------------------------
def _solve(queue, agent):
    tickets.ticket_set_status(ticket=TicketFactory(queue=queue), status=SOLVED, actor=agent)


def _answer(queue, agent):
    survey = CsatSurvey.objects.create(ticket=TicketFactory(queue=queue), agent=agent, queue=queue)
    csat.survey_answer(survey=survey, score=5)


CHANGES = {
    "ticket.created": lambda queue, agent: open_ticket(queue, actor=agent),
    "ticket.solved": _solve,
    "csat.answered": _answer,
}


@pytest.mark.parametrize("name", CHANGES)
def test_a_change_writes_one_event_and_a_delivery_per_subscribed_endpoint(webhook_outbox, queue, agent, name):
    webhook_outbox.subscribe(name)
    webhook_outbox.subscribe(name, "deal.won")
    CHANGES[name](queue, agent)
    assert webhook_outbox.events() == [name]
    assert webhook_outbox.deliveries() == 2


@pytest.mark.parametrize("name", CHANGES)
def test_a_rolled_back_change_leaves_the_outbox_empty(webhook_outbox, queue, agent, name):
    webhook_outbox.subscribe(name)
    with pytest.raises(Rollback), transaction.atomic():
        CHANGES[name](queue, agent)
        raise Rollback
    assert webhook_outbox.events() == []
    assert webhook_outbox.deliveries() == 0


@pytest.mark.parametrize("name", CHANGES)
def test_nothing_is_written_when_no_endpoint_subscribes(webhook_outbox, queue, agent, name):
    webhook_outbox.subscribe("deal.won")
    CHANGES[name](queue, agent)
    assert webhook_outbox.events() == []
    assert webhook_outbox.deliveries() == 0
