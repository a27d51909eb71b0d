"""The agent's home and role-home cards, the manager's backlog card, the customer
page's support panel, the customer-list filters, the top bar's search and the
agent's "New ticket" form."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import Customer
from customers.tests.factories import CustomerFactory
from support.models import CsatSurvey, Ticket, TicketMessage
from support.tests.factories import TicketFactory, TicketMessageFactory

HOME = reverse("support:home")


def _card(response, key):
    return next(card for card in response.context["home_cards"] if card.key == key)


# --- the agent's home ---------------------------------------------------------------------
@pytest.fixture
def home_tickets(agent, queue, other_queue):
    now = timezone.now()
    return {
        "mine_late": TicketFactory(queue=queue, assignee=agent, resolution_due=now - timedelta(minutes=10)),
        "mine_later": TicketFactory(queue=queue, assignee=agent, resolution_due=now + timedelta(hours=8)),
        "mine_solved": TicketFactory(queue=queue, assignee=agent, status=Ticket.Status.SOLVED),
        "free_soon": TicketFactory(queue=queue, first_response_due=now + timedelta(minutes=30)),
        "free_no_clock": TicketFactory(queue=queue),
        "foreign": TicketFactory(queue=other_queue, resolution_due=now - timedelta(hours=1)),
    }


def test_the_home_cards_count_and_list_the_nearest_due_first(client_for, agent, home_tickets):
    response = client_for(agent).get(HOME)
    t = home_tickets
    assigned, unassigned, breaching = (_card(response, key) for key in ("assigned", "unassigned", "breaching"))
    assert (assigned.count, [x.pk for x in assigned.tickets]) == (2, [t["mine_late"].pk, t["mine_later"].pk])
    assert (unassigned.count, [x.pk for x in unassigned.tickets]) == (2, [t["free_soon"].pk, t["free_no_clock"].pk])
    assert (breaching.count, [x.pk for x in breaching.tickets]) == (2, [t["mine_late"].pk, t["free_soon"].pk])
    page = response.content.decode()
    assert f"{reverse('support:ticket-list')}?assignee=null" in page
    assert "Assigned to me" in page and "Unassigned in my queues" in page and "Breaching soon" in page


def test_the_home_query_count_is_pinned(client_for, agent, queue, django_assert_num_queries):
    for _index in range(8):
        TicketFactory(queue=queue, assignee=agent, resolution_due=timezone.now())
    client = client_for(agent)
    client.get(HOME)
    with django_assert_num_queries(7):  # session, user, roles, the counts, three cards' rows
        client.get(HOME)


def test_the_agents_role_home_shows_the_support_cards_instead_of_coming_soon(client_for, agent, home_tickets):
    page = client_for(agent).get(reverse("home")).content.decode()
    assert 'data-testid="support-card-assigned"' in page
    assert 'data-testid="support-card-breaching"' in page
    assert "coming soon" not in page
    assert home_tickets["mine_late"].subject in page
    assert home_tickets["foreign"].subject not in page


def test_a_manager_home_has_the_support_backlog_of_their_queues(client_for, manager, home_tickets, queue):
    response = client_for(manager).get(reverse("home"))
    page = response.content.decode()
    assert 'data-testid="support-backlog"' in page
    assert 'data-queue="support"' in page and 'data-queue="billing"' not in page
    assert '<td class="text-end" data-count="unsolved">4</td>' in page
    assert '<td class="text-end" data-count="unassigned">2</td>' in page
    assert 'data-count="breached">1</td>' in page


def test_a_sales_rep_has_no_support_home(client_for, owner):
    assert client_for(owner).get(HOME).status_code == 403


def test_the_home_renders_in_turkish(client_for, agent, queue):
    page = client_for(agent).get(HOME, HTTP_ACCEPT_LANGUAGE="tr").content.decode()
    assert "Bana atananlar" in page


# --- the customer page's support panel ---------------------------------------------------
@pytest.fixture
def customer_with_tickets(owner, queue, other_queue):
    customer = CustomerFactory(owner=owner, first_name="Grace")
    now = timezone.now()
    late = TicketFactory(queue=queue, customer=customer, subject="Late one", resolution_due=now - timedelta(hours=1))
    TicketMessageFactory(ticket=late, body="Customer words", from_customer=True)
    TicketMessageFactory(ticket=late, body="Internal musing", kind=TicketMessage.Kind.INTERNAL, from_customer=False)
    solved = TicketFactory(queue=queue, customer=customer, subject="Done one", status=Ticket.Status.SOLVED)
    CsatSurvey.objects.create(ticket=solved, score=4, answered_at=now)
    TicketFactory(queue=other_queue, customer=customer, subject="Elsewhere")
    return customer


def _panel(client, customer) -> str:
    page = client.get(reverse("customers:customer-detail", args=[customer.pk])).content.decode()
    start = page.index('id="customer-support"')
    return page[start : page.index("</ul>", start) if "</ul>" in page[start:] else start + 3000]


def test_the_agent_sees_open_tickets_breaches_and_the_last_score(client_for, agent, customer_with_tickets):
    panel = _panel(client_for(agent), customer_with_tickets)
    assert 'data-support="open">1<' in panel
    assert 'data-support="breaches">1<' in panel
    assert "4 / 5" in panel
    assert "Late one" in panel and "Elsewhere" not in panel
    assert reverse("support:ticket-create") + f"?customer={customer_with_tickets.pk}" in panel


def test_a_sales_rep_sees_their_customers_tickets_read_only_without_notes(client_for, owner, customer_with_tickets):
    client = client_for(owner)
    panel = _panel(client, customer_with_tickets)
    assert "Late one" in panel and "Elsewhere" in panel
    assert "New ticket" not in panel and "All tickets" not in panel
    page = client.get(reverse("customers:customer-detail", args=[customer_with_tickets.pk])).content.decode()
    assert "Internal musing" not in page


def test_the_panel_query_count_does_not_grow_with_tickets(
    rf, agent, queue, customer_with_tickets, django_assert_num_queries
):
    from support.panels import TICKETS_PANEL

    for _index in range(6):
        TicketFactory(queue=queue, customer=customer_with_tickets)
    request = rf.get("/")
    request.user = agent
    TICKETS_PANEL.context(request, customer_with_tickets)  # the roles settle
    with django_assert_num_queries(3):  # the counts, the open tickets, the last survey
        TICKETS_PANEL.context(request, customer_with_tickets)


# --- customer-list filters ----------------------------------------------------------------
def _customer_ids(client, **params) -> set[int]:
    response = client.get(reverse("customers:customer-list"), params)
    assert response.status_code == 200
    return {row.record.pk for row in response.context["table"].page.object_list}


def test_the_customer_list_filters_by_open_tickets_and_last_score(client_for, manager, owner, queue):
    with_open = CustomerFactory(owner=owner)
    TicketFactory(queue=queue, customer=with_open)
    happy = CustomerFactory(owner=owner)
    ticket = TicketFactory(queue=queue, customer=happy, status=Ticket.Status.SOLVED)
    now = timezone.now()
    CsatSurvey.objects.create(ticket=ticket, score=2, answered_at=now - timedelta(days=2))
    CsatSurvey.objects.create(ticket=ticket, score=5, answered_at=now)
    quiet = CustomerFactory(owner=owner)
    client = client_for(manager)
    assert _customer_ids(client, open_tickets="yes") == {with_open.pk}
    assert _customer_ids(client, open_tickets="no") == {happy.pk, quiet.pk}
    assert _customer_ids(client, last_csat="5") == {happy.pk}
    assert _customer_ids(client, last_csat="2") == set()
    assert _customer_ids(client, last_csat="none") == {with_open.pk, quiet.pk}


def test_the_open_tickets_filter_says_when_tickets_are_in_other_queues(client_for, agent, other_queue, queue):
    elsewhere = CustomerFactory()
    TicketFactory(queue=other_queue, customer=elsewhere)
    TicketFactory(queue=queue, customer=CustomerFactory())
    response = client_for(agent).get(reverse("customers:customer-list"), {"open_tickets": "yes"})
    assert "1 of 2 have open tickets only in queues you do not work." in response.content.decode()


# --- the top bar's search -----------------------------------------------------------------
def _hits(client, query) -> list[str]:
    response = client.get(reverse("search"), {"q": query})
    return [r.url for s in response.context["sections"] if s.kind == "ticket" for r in s.results]


def test_search_finds_tickets_by_number_subject_and_email(client_for, agent, queue):
    ticket = TicketFactory(queue=queue, subject="Broken hinge", customer=CustomerFactory(email="ada@lovelace.example"))
    url = reverse("support:ticket-detail", args=[ticket.pk])
    client = client_for(agent)
    assert _hits(client, f"#{ticket.pk}") == [url]
    assert _hits(client, "hinge") == [url]
    assert _hits(client, "ada@lovelace.example") == [url]


def test_an_agent_outside_the_queue_gets_no_search_hit(client_for, outside_agent, queue):
    ticket = TicketFactory(queue=queue, subject="Broken hinge")
    client = client_for(outside_agent)
    assert _hits(client, "hinge") == []
    assert _hits(client, f"#{ticket.pk}") == []


def test_a_rep_finds_their_customers_tickets_but_not_others(client_for, owner, outsider, queue):
    ticket = TicketFactory(queue=queue, subject="Broken hinge", customer=CustomerFactory(owner=owner))
    assert _hits(client_for(owner), "hinge") == [reverse("support:ticket-detail", args=[ticket.pk])]


def test_an_outsider_rep_gets_no_search_hit(client_for, outsider, owner, queue):
    TicketFactory(queue=queue, subject="Broken hinge", customer=CustomerFactory(owner=owner))
    assert _hits(client_for(outsider), "hinge") == []


# --- new ticket ------------------------------------------------------------------------------
def test_an_agent_opens_a_phone_ticket_for_a_new_customer_by_email(client_for, agent, queue):
    response = client_for(agent).post(
        reverse("support:ticket-create"),
        {
            "email": "new.person@example.com",
            "name": "New Person",
            "queue": queue.pk,
            "subject": "Called about invoices",
            "body": "They cannot find the March invoice.",
            "priority": "high",
            "channel": "phone",
        },
    )
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("support:ticket-detail", args=[ticket.pk])
    assert (ticket.channel, ticket.priority, ticket.created_by) == ("phone", "high", agent)
    assert ticket.customer.email == "new.person@example.com"
    message = ticket.messages.get()
    assert message.from_customer and message.body == "They cannot find the March invoice."


def test_an_agent_opens_a_ticket_for_the_customer_of_the_page(client_for, agent, queue):
    customer = CustomerFactory(first_name="Grace")
    client = client_for(agent)
    form_page = client.get(reverse("support:ticket-create"), {"customer": customer.pk}).content.decode()
    assert "Grace" in form_page
    client.post(
        reverse("support:ticket-create"),
        {"customer": customer.pk, "queue": queue.pk, "subject": "Follow-up", "body": "Calling back.",
         "priority": "normal", "channel": "agent"},
    )  # fmt: skip
    ticket = Ticket.objects.get()
    assert ticket.customer == customer and Customer.objects.count() == 1
    message = ticket.messages.get()
    assert not message.from_customer and message.author == agent


def test_the_new_ticket_form_offers_only_the_agents_queues(client_for, agent, queue, other_queue):
    response = client_for(agent).post(
        reverse("support:ticket-create"),
        {"email": "x@example.com", "queue": other_queue.pk, "subject": "S", "body": "B", "priority": "normal",
         "channel": "phone"},
    )  # fmt: skip
    assert response.status_code == 200
    assert "queue" in response.context["form"].errors
    assert not Ticket.objects.exists()


def test_the_customer_finder_lists_matching_customers_that_pick_the_customer(client_for, agent, queue):
    grace = CustomerFactory(first_name="Grace", last_name="Hopper", email="grace@navy.example")
    CustomerFactory(first_name="Alan", last_name="Turing")
    response = client_for(agent).get(reverse("support:ticket-customer-matches"), {"find": "hopper"})
    page = response.content.decode()
    assert f"{reverse('support:ticket-create')}?customer={grace.pk}" in page
    assert "Turing" not in page


def test_a_sales_rep_cannot_use_the_customer_finder(client_for, owner):
    response = client_for(owner).get(reverse("support:ticket-customer-matches"), {"find": "hopper"})
    assert response.status_code == 403
