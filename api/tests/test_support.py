"""Tickets and their messages through the API, persona by persona, as on the ticket pages:
agents of the ticket's queue, its team's manager and admins list, read (internal notes
too) and work it; a sales rep reads their customers' tickets by id (public messages only)
and gets the ticket list's 403; everyone else gets 404."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import roles
from accounts.tests.factories import UserFactory
from api.representations import represent
from customers.tests.factories import CustomerFactory, TagFactory
from support.models import CsatSurvey, Ticket, TicketEvent, TicketMessage
from support.tests.factories import QueueFactory, TicketFactory, TicketMessageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue(agent, team):
    queue = QueueFactory(name="Support", slug="support", team=team)
    queue.members.add(agent)
    return queue


@pytest.fixture
def other_queue(other_team):
    return QueueFactory(name="Billing", slug="billing", team=other_team)


@pytest.fixture
def outside_agent(other_queue):
    user = UserFactory(username="otto", first_name="Otto", role=roles.SUPPORT_AGENT)
    other_queue.members.add(user)
    return user


@pytest.fixture
def ticket(queue, owner):
    customer = CustomerFactory(first_name="Kim", last_name="Lee", email="kim@example.com", owner=owner)
    ticket = TicketFactory(queue=queue, customer=customer, subject="Printer is on fire")
    TicketMessageFactory(ticket=ticket, body="My printer burns")
    TicketMessageFactory(ticket=ticket, from_customer=False, kind="internal", body="Secret: grumpy customer")
    return ticket


@pytest.fixture
def billing_ticket(other_queue, outsider):
    return TicketFactory(queue=other_queue, customer=CustomerFactory(owner=outsider), subject="Invoice twice")


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def bodies(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["body"] for row in response.json()["results"]]


# --- the list ------------------------------------------------------------------------------
def test_an_agent_lists_the_tickets_of_their_queue_only(api_client, agent, ticket, billing_ticket):
    assert ids(api_client(agent).get("/api/v1/tickets/")) == [ticket.pk]


def test_the_teams_manager_and_an_admin_list_as_on_the_ticket_list(
    api_client, manager, admin_user, ticket, billing_ticket
):
    assert ids(api_client(manager).get("/api/v1/tickets/")) == [ticket.pk]
    assert set(ids(api_client(admin_user).get("/api/v1/tickets/"))) == {ticket.pk, billing_ticket.pk}


def test_an_agent_of_another_queue_gets_an_empty_list_and_404(api_client, outside_agent, ticket, billing_ticket):
    client = api_client(outside_agent)
    assert ids(client.get("/api/v1/tickets/")) == [billing_ticket.pk]
    assert client.get(f"/api/v1/tickets/{ticket.pk}/").status_code == 404
    assert client.get(f"/api/v1/tickets/{ticket.pk}/messages/").status_code == 404
    assert client.post(f"/api/v1/tickets/{ticket.pk}/messages/", {"body": "Hi"}, format="json").status_code == 404
    assert client.patch(f"/api/v1/tickets/{ticket.pk}/", {"status": "solved"}, format="json").status_code == 404


def test_the_ticket_list_is_403_for_sales_reps_and_marketers_as_the_page(api_client, owner, outsider, ticket):
    marketer = UserFactory(username="mia", role=roles.MARKETER)
    for user in (owner, outsider, marketer):
        response = api_client(user).get("/api/v1/tickets/")
        assert response.status_code == 403
        assert "support agents" in response.json()["detail"]


def test_the_list_takes_the_ticket_lists_filters_with_its_unsolved_default(api_client, agent, queue, ticket):
    solved = TicketFactory(queue=queue, status=Ticket.Status.SOLVED, subject="Old question")
    urgent = TicketFactory(queue=queue, priority="high", subject="Server down")
    urgent.tags.add(TagFactory(name="vip"))
    client = api_client(agent)
    assert set(ids(client.get("/api/v1/tickets/"))) == {ticket.pk, urgent.pk}
    assert set(ids(client.get("/api/v1/tickets/?status=all"))) == {ticket.pk, urgent.pk, solved.pk}
    assert ids(client.get("/api/v1/tickets/?status=solved")) == [solved.pk]
    assert ids(client.get("/api/v1/tickets/?priority=high")) == [urgent.pk]
    assert ids(client.get("/api/v1/tickets/?q=printer")) == [ticket.pk]
    assert ids(client.get(f"/api/v1/tickets/?customer={ticket.customer_id}")) == [ticket.pk]
    assert client.get("/api/v1/tickets/?status=bogus").status_code == 400


def test_an_agents_search_finds_internal_notes_like_the_list(api_client, agent, ticket):
    assert ids(api_client(agent).get("/api/v1/tickets/?q=grumpy")) == [ticket.pk]


def test_the_ticket_list_costs_the_same_queries_for_two_tickets_or_ten(api_client, agent, queue):
    client = api_client(agent)
    client.get("/api/v1/tickets/")  # the token's first use writes last_used_at; measure the next requests

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/api/v1/tickets/").status_code == 200
        return len(captured)

    for index in range(2):
        TicketFactory(queue=queue).tags.add(TagFactory(name=f"tag{index}"))
    few = queries()
    for index in range(8):
        TicketFactory(queue=queue).tags.add(TagFactory(name=f"more{index}"))
    # The token with its user, the user's roles, the page of tickets (queues as a subquery), their tags.
    assert queries() == few == 4


# --- one ticket and its thread ------------------------------------------------------------
def test_a_rep_reads_their_customers_ticket_with_public_messages_only(api_client, owner, ticket):
    client = api_client(owner)
    response = client.get(f"/api/v1/tickets/{ticket.pk}/")
    assert response.status_code == 200 and response.json()["subject"] == "Printer is on fire"
    assert bodies(client.get(f"/api/v1/tickets/{ticket.pk}/messages/")) == ["My printer burns"]


def test_agents_and_the_manager_read_internal_notes_too(api_client, agent, manager, ticket):
    for user in (agent, manager):
        thread = bodies(api_client(user).get(f"/api/v1/tickets/{ticket.pk}/messages/"))
        assert thread == ["My printer burns", "Secret: grumpy customer"]


def test_a_rep_cannot_see_a_ticket_of_a_customer_out_of_their_scope(api_client, teammate, outsider, ticket):
    for user in (teammate, outsider):
        assert api_client(user).get(f"/api/v1/tickets/{ticket.pk}/").status_code == 404


def test_a_ticket_expands_its_customer(api_client, agent, ticket):
    response = api_client(agent).get(f"/api/v1/tickets/{ticket.pk}/?expand=customer")
    assert response.json()["customer"]["email"] == "kim@example.com"


# --- writes through the services ----------------------------------------------------------
def test_an_agents_reply_through_the_api_appears_in_the_thread(api_client, agent, ticket):
    client = api_client(agent)
    response = client.post(f"/api/v1/tickets/{ticket.pk}/messages/", {"body": "It is out now."}, format="json")
    assert response.status_code == 201 and response.json()["internal"] is False
    assert bodies(client.get(f"/api/v1/tickets/{ticket.pk}/messages/"))[-1] == "It is out now."
    ticket.refresh_from_db()
    # The reply service's effects: the ticket opens, is assigned to whoever answered, mails the customer.
    assert (ticket.status, ticket.assignee) == (Ticket.Status.OPEN, agent)
    assert ticket.outbound_emails.filter(kind="reply").count() == 1


def test_an_internal_note_through_the_api_is_hidden_from_the_rep(api_client, agent, owner, ticket):
    response = api_client(agent).post(
        f"/api/v1/tickets/{ticket.pk}/messages/", {"body": "Call them back", "internal": True}, format="json"
    )
    assert response.status_code == 201 and response.json()["kind"] == TicketMessage.Kind.INTERNAL
    assert "Call them back" not in bodies(api_client(owner).get(f"/api/v1/tickets/{ticket.pk}/messages/"))
    assert not ticket.outbound_emails.exists()


def test_a_rep_may_not_reply_or_change_the_ticket_they_read(api_client, owner, ticket):
    client = api_client(owner)
    assert client.post(f"/api/v1/tickets/{ticket.pk}/messages/", {"body": "Hi"}, format="json").status_code == 403
    assert client.patch(f"/api/v1/tickets/{ticket.pk}/", {"status": "solved"}, format="json").status_code == 403
    assert ticket.messages.count() == 2
    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.Status.NEW


def test_a_read_only_token_gets_403_on_writes(api_client, agent, ticket):
    client = api_client(agent, scopes=("read",))
    assert client.post(f"/api/v1/tickets/{ticket.pk}/messages/", {"body": "Hi"}, format="json").status_code == 403
    assert client.patch(f"/api/v1/tickets/{ticket.pk}/", {"priority": "high"}, format="json").status_code == 403
    assert ticket.messages.count() == 2


def test_an_empty_reply_is_a_problem_naming_the_body(api_client, agent, ticket):
    response = api_client(agent).post(f"/api/v1/tickets/{ticket.pk}/messages/", {"body": "  "}, format="json")
    assert response.status_code == 400
    assert [error["attr"] for error in response.json()["errors"]] == ["body"]
    assert ticket.messages.count() == 2


def test_a_retried_reply_with_the_same_idempotency_key_posts_once(api_client, agent, ticket):
    client = api_client(agent)
    url, headers = f"/api/v1/tickets/{ticket.pk}/messages/", {"HTTP_IDEMPOTENCY_KEY": "reply-1"}
    first = client.post(url, {"body": "Once"}, format="json", **headers)
    again = client.post(url, {"body": "Once"}, format="json", **headers)
    assert first.status_code == again.status_code == 201 and first.json()["id"] == again.json()["id"]
    assert ticket.messages.filter(body="Once").count() == 1


def test_an_agent_changes_status_priority_and_assignee_through_the_services(api_client, agent, ticket):
    response = api_client(agent).patch(
        f"/api/v1/tickets/{ticket.pk}/", {"status": "pending", "priority": "high", "assignee": agent.pk}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["priority"], response.json()["assignee"]) == (
        "pending", "high", agent.pk,
    )  # fmt: skip
    actions = set(TicketEvent.objects.filter(ticket=ticket).values_list("action", flat=True))
    assert {"status", "priority", "assignee"} <= actions


def test_assigning_someone_outside_the_queue_changes_nothing(api_client, agent, outside_agent, ticket):
    response = api_client(agent).patch(
        f"/api/v1/tickets/{ticket.pk}/", {"status": "pending", "assignee": outside_agent.pk}, format="json"
    )
    assert response.status_code == 400
    assert [error["attr"] for error in response.json()["errors"]] == ["assignee"]
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee) == (Ticket.Status.NEW, None)


# --- a new ticket -------------------------------------------------------------------------
def test_an_agent_opens_a_ticket_for_a_customer_through_the_service(api_client, agent, owner, queue):
    customer = CustomerFactory(owner=owner)
    body = {"customer": customer.pk, "queue": queue.pk, "subject": "Called about a refund", "body": "Wants money"}
    response = api_client(agent).post("/api/v1/tickets/", body, format="json")
    assert response.status_code == 201, response.content
    ticket = Ticket.objects.get(pk=response.json()["id"])
    assert (ticket.customer, ticket.channel, ticket.created_by) == (customer, Ticket.Channel.PHONE, agent)
    assert list(ticket.messages.values_list("body", flat=True)) == ["Wants money"]
    assert ticket.events.filter(action="created").exists()


def test_an_agent_opens_a_ticket_by_email_for_a_new_customer(api_client, agent, queue):
    body = {"email": "new@example.com", "name": "Ned New", "queue": queue.pk, "subject": "Hi", "body": "Hello"}
    response = api_client(agent).post("/api/v1/tickets/", body, format="json")
    assert response.status_code == 201
    assert Ticket.objects.get(pk=response.json()["id"]).customer.email == "new@example.com"


def test_a_new_ticket_needs_a_queue_the_agent_works_and_a_customer(api_client, agent, other_queue):
    body = {"queue": other_queue.pk, "subject": "x", "body": "y"}
    response = api_client(agent).post("/api/v1/tickets/", body, format="json")
    assert response.status_code == 400
    assert {error["attr"] for error in response.json()["errors"]} == {"queue"}
    response = api_client(agent).post("/api/v1/tickets/", {"subject": "x", "body": "y"}, format="json")
    assert {error["attr"] for error in response.json()["errors"]} == {"queue"}
    assert not Ticket.objects.exists()


def test_a_new_ticket_without_customer_or_email_names_the_email(api_client, agent, queue):
    body = {"queue": queue.pk, "subject": "x", "body": "y"}
    response = api_client(agent).post("/api/v1/tickets/", body, format="json")
    assert response.status_code == 400
    assert [error["attr"] for error in response.json()["errors"]] == ["email"]


def test_a_rep_cannot_open_a_ticket_as_on_the_page(api_client, owner, queue):
    customer = CustomerFactory(owner=owner)
    body = {"customer": customer.pk, "queue": queue.pk, "subject": "x", "body": "y"}
    assert api_client(owner).post("/api/v1/tickets/", body, format="json").status_code == 403
    assert not Ticket.objects.exists()


def test_a_tickets_webhook_representation_is_what_the_api_returns(api_client, admin_user, ticket):
    assert represent(ticket) == api_client(admin_user).get(f"/api/v1/tickets/{ticket.pk}/").json()


# --- satisfaction surveys ------------------------------------------------------------------
@pytest.fixture
def answered_survey(ticket):
    return CsatSurvey.objects.create(ticket=ticket, score=4, comment="Quick answer", answered_at=timezone.now())


def test_an_agent_reads_a_tickets_surveys_and_the_webhook_payload_is_that_row(api_client, agent, answered_survey):
    response = api_client(agent).get(f"/api/v1/tickets/{answered_survey.ticket_id}/surveys/")
    assert response.status_code == 200
    [row] = response.json()
    assert (row["score"], row["comment"]) == (4, "Quick answer")
    assert represent(answered_survey) == row


def test_a_sales_rep_cannot_read_surveys_and_an_outside_agent_gets_a_404(
    api_client, owner, outside_agent, answered_survey
):
    url = f"/api/v1/tickets/{answered_survey.ticket_id}/surveys/"
    assert api_client(owner).get(url).status_code == 403
    assert api_client(outside_agent).get(url).status_code == 404
