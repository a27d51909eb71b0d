"""The agents' ticket list: who sees what, filters, search, the SLA column, bulk
actions, the CSV export and a query count that does not grow with the page."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from accounts.tests.factories import UserFactory
from customers.tests.factories import CustomerFactory, TagFactory
from support.models import Ticket, TicketEvent, TicketMessage
from support.tests.factories import TicketFactory, TicketMessageFactory

LIST = reverse("support:ticket-list")


def _rows(response) -> list[int]:
    return [ticket.pk for ticket in response.context["table"].page.object_list.data]


def _listed(client, **params) -> list[int]:
    response = client.get(LIST, params)
    assert response.status_code == 200
    return [row.record.pk for row in response.context["table"].page.object_list]


@pytest.fixture
def mine(queue):
    return TicketFactory(queue=queue, subject="Printer on fire")


@pytest.fixture
def foreign(other_queue):
    return TicketFactory(queue=other_queue, subject="Billing secret")


# --- personas --------------------------------------------------------------------------
def test_an_agent_lists_the_tickets_of_their_queues_only(client_for, agent, mine, foreign):
    assert _listed(client_for(agent)) == [mine.pk]


def test_an_agent_outside_the_queue_sees_no_row_of_it(client_for, outside_agent, mine, foreign):
    response = client_for(outside_agent).get(LIST, {"q": "Printer"})
    assert mine.subject not in response.content.decode()
    assert _listed(client_for(outside_agent), q="") == [foreign.pk]


def test_a_manager_sees_the_queues_of_their_team(client_for, manager, mine, foreign):
    assert _listed(client_for(manager)) == [mine.pk]


def test_an_admin_sees_every_queue(client_for, admin_user, mine, foreign):
    assert sorted(_listed(client_for(admin_user))) == sorted([mine.pk, foreign.pk])


def test_a_sales_rep_has_no_ticket_list(client_for, owner, mine):
    assert client_for(owner).get(LIST).status_code == 403


def test_the_navigation_offers_support_to_agents_but_not_to_reps(client_for, agent, owner, queue):
    page = client_for(agent).get(reverse("home")).content.decode()
    assert f'href="{LIST}"' in page and 'href="/support/"' in page
    page = client_for(owner).get(reverse("home")).content.decode()
    assert f'href="{LIST}"' not in page


# --- filters and search ------------------------------------------------------------------
def test_the_list_shows_unsolved_tickets_unless_a_status_is_chosen(client_for, agent, queue):
    open_ticket = TicketFactory(queue=queue, status=Ticket.Status.OPEN)
    solved = TicketFactory(queue=queue, status=Ticket.Status.SOLVED)
    client = client_for(agent)
    assert _listed(client) == [open_ticket.pk]
    assert _listed(client, status="solved") == [solved.pk]
    assert sorted(_listed(client, status="all")) == sorted([open_ticket.pk, solved.pk])
    assert sorted(_listed(client, status=["solved", "unsolved"])) == sorted([open_ticket.pk, solved.pk])


def test_filters_by_priority_assignee_unassigned_and_tag(client_for, agent, queue):
    tag = TagFactory(name="refund")
    urgent = TicketFactory(queue=queue, priority="urgent", assignee=agent)
    tagged = TicketFactory(queue=queue)
    tagged.tags.add(tag)
    client = client_for(agent)
    assert _listed(client, priority="urgent") == [urgent.pk]
    assert _listed(client, assignee=agent.pk) == [urgent.pk]
    assert _listed(client, assignee="null") == [tagged.pk]
    assert _listed(client, tag=tag.pk) == [tagged.pk]


def test_the_queue_filter_offers_only_the_users_queues(client_for, agent, queue, other_queue):
    response = client_for(agent).get(LIST)
    choices = [str(label) for _value, label in response.context["filter"].form.fields["queue"].choices]
    assert "Support" in choices and "Billing" not in choices
    assert client_for(agent).get(LIST, {"queue": other_queue.pk}).context["filter"].form.errors


def test_the_sla_filter_is_computed_from_the_due_times(client_for, agent, queue):
    now = timezone.now()
    breached = TicketFactory(queue=queue, resolution_due=now - timedelta(minutes=5))
    near = TicketFactory(queue=queue, first_response_due=now + timedelta(minutes=20))
    ok = TicketFactory(queue=queue, resolution_due=now + timedelta(hours=5))
    answered = TicketFactory(
        queue=queue,
        first_response_due=now - timedelta(hours=1),
        first_responded_at=now - timedelta(hours=2),
        resolution_due=now + timedelta(days=1),
    )
    none = TicketFactory(queue=queue)
    paused = TicketFactory(queue=queue, status=Ticket.Status.PENDING, resolution_due=now - timedelta(hours=1))
    client = client_for(agent)
    assert _listed(client, sla="breached") == [breached.pk]
    assert _listed(client, sla="near") == [near.pk]
    assert sorted(_listed(client, sla="ok")) == sorted([ok.pk, answered.pk])
    assert sorted(_listed(client, sla="none")) == sorted([none.pk, paused.pk])
    assert _listed(client, sla="due_soon") == [breached.pk, near.pk]


def test_the_default_order_is_the_nearest_sla_first_then_the_oldest(client_for, agent, queue):
    now = timezone.now()
    old_no_clock = TicketFactory(queue=queue, created_at=now - timedelta(days=3))
    later = TicketFactory(queue=queue, resolution_due=now + timedelta(hours=3))
    sooner = TicketFactory(queue=queue, resolution_due=now + timedelta(hours=1))
    new_no_clock = TicketFactory(queue=queue, created_at=now - timedelta(days=1))
    assert _listed(client_for(agent)) == [sooner.pk, later.pk, old_no_clock.pk, new_no_clock.pk]


@pytest.mark.parametrize("query", ["#{pk}", "{pk}"])
def test_search_finds_a_ticket_by_its_number(client_for, agent, queue, query):
    # No digits elsewhere: a bare number also matches subjects and emails that contain it.
    ticket = TicketFactory(queue=queue, subject="Anything", customer=CustomerFactory(email="ann@example.com"))
    TicketFactory(queue=queue, subject="Other", customer=CustomerFactory(email="bob@example.com"))
    assert _listed(client_for(agent), q=query.format(pk=ticket.pk)) == [ticket.pk]


def test_search_finds_tickets_by_customer_email_subject_and_message_body(client_for, agent, queue):
    by_email = TicketFactory(queue=queue, customer=CustomerFactory(email="grace@navy.example"))
    by_subject = TicketFactory(queue=queue, subject="Invoice missing")
    by_body = TicketFactory(queue=queue, subject="Hello")
    TicketMessageFactory(ticket=by_body, body="The flux capacitor rattles")
    TicketFactory(queue=queue, subject="Unrelated")
    client = client_for(agent)
    assert _listed(client, q="grace@navy") == [by_email.pk]
    assert _listed(client, q="invoice") == [by_subject.pk]
    assert _listed(client, q="capacitor") == [by_body.pk]


def test_an_agent_outside_the_queue_finds_nothing_by_number(client_for, outside_agent, mine):
    assert _listed(client_for(outside_agent), q=f"#{mine.pk}") == []


# --- the SLA column -------------------------------------------------------------------------
def test_the_sla_column_counts_down_and_turns_red_when_breached(client_for, agent, queue, time_machine):
    now = timezone.now().replace(microsecond=0)
    time_machine.move_to(now, tick=False)
    TicketFactory(queue=queue, subject="Later", resolution_due=now + timedelta(hours=2, minutes=10))
    TicketFactory(queue=queue, subject="Late", resolution_due=now - timedelta(minutes=35))
    page = client_for(agent).get(LIST).content.decode()
    assert "2h 10m left" in page
    assert 'class="text-nowrap text-danger fw-semibold" data-sla-state="breached"' in page
    assert "breached 35m ago" in page


# --- bulk actions -------------------------------------------------------------------------
def test_bulk_assign_changes_the_users_tickets_and_ignores_foreign_ids(client_for, agent, mine, foreign):
    response = client_for(agent).post(
        reverse("support:ticket-bulk"), {"action": "assign", "assignee": agent.pk, "ids": [mine.pk, foreign.pk]}
    )
    assert response.status_code == 302
    mine.refresh_from_db()
    foreign.refresh_from_db()
    assert mine.assignee == agent
    assert foreign.assignee is None
    assert TicketEvent.objects.filter(ticket=mine, action="assignee").exists()
    assert not TicketEvent.objects.filter(ticket=foreign).exists()


def test_bulk_assign_never_gives_a_ticket_to_someone_outside_its_queue(client_for, manager, mine, outside_agent):
    client_for(manager).post(
        reverse("support:ticket-bulk"), {"action": "assign", "assignee": outside_agent.pk, "ids": [mine.pk]}
    )
    mine.refresh_from_db()
    assert mine.assignee is None


def test_bulk_status_queue_and_tag(client_for, manager, queue, mine):
    second_queue = queue.__class__.objects.create(name="Escalations", slug="escalations", team=queue.team)
    tag = TagFactory(name="vip")
    client = client_for(manager)
    bulk = reverse("support:ticket-bulk")
    client.post(bulk, {"action": "status", "status": "on_hold", "ids": [mine.pk]})
    client.post(bulk, {"action": "tag", "tag": tag.pk, "ids": [mine.pk]})
    client.post(bulk, {"action": "queue", "queue": second_queue.pk, "ids": [mine.pk]})
    mine.refresh_from_db()
    assert (mine.status, mine.queue, list(mine.tags.all())) == ("on_hold", second_queue, [tag])


def test_bulk_move_refuses_a_queue_the_user_does_not_work(client_for, agent, mine, other_queue):
    client_for(agent).post(
        reverse("support:ticket-bulk"), {"action": "queue", "queue": other_queue.pk, "ids": [mine.pk]}
    )
    mine.refresh_from_db()
    assert mine.queue != other_queue


def test_a_sales_rep_cannot_use_bulk_actions(client_for, owner, mine):
    mine.customer.owner = owner
    mine.customer.save()
    response = client_for(owner).post(reverse("support:ticket-bulk"), {"action": "unassign", "ids": [mine.pk]})
    assert response.status_code == 403


# --- the export ---------------------------------------------------------------------------
def _csv(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_the_export_has_the_filtered_tickets_neutralised_and_no_foreign_ones(client_for, agent, queue, foreign):
    ticket = TicketFactory(queue=queue, subject="=HYPERLINK(evil)", priority="high")
    TicketFactory(queue=queue, subject="Low one", priority="low")
    response = client_for(agent).get(reverse("support:ticket-export"), {"priority": "high"})
    assert response["Content-Type"].startswith("text/csv")
    rows = _csv(response)
    assert rows[0][:3] == ["number", "subject", "customer"]
    assert [row[0] for row in rows[1:]] == [str(ticket.pk)]
    assert rows[1][1] == "'=HYPERLINK(evil)"
    everything = _csv(client_for(agent).get(reverse("support:ticket-export"), {"status": "all"}))
    assert str(foreign.pk) not in [row[0] for row in everything[1:]]


def test_the_outside_agent_exports_none_of_the_queues_tickets(client_for, outside_agent, mine):
    rows = _csv(client_for(outside_agent).get(reverse("support:ticket-export")))
    assert rows[1:] == []


# --- query count -------------------------------------------------------------------------
@pytest.mark.parametrize("count", [5, 50])
def test_the_list_query_count_does_not_grow_with_the_page(
    client_for, agent, queue, count, django_assert_num_queries, list_count_queries
):
    now = timezone.now()
    tag = TagFactory()
    for index in range(count):
        ticket = TicketFactory(queue=queue, assignee=agent, resolution_due=now + timedelta(minutes=index))
        ticket.tags.add(tag)
    client = client_for(agent)
    client.get(LIST)  # the session and the user's roles settle
    # session, user, roles, the total, the rows; the bulk bar's menus of the user's agents, queues
    # and the tags (the filter bar's menus and the saved views come from the cache; the list's
    # content too, but not yet for this page size)
    with django_assert_num_queries(7 + list_count_queries):
        response = client.get(LIST, {"per_page": 50})
    assert len(response.context["table"].page.object_list) == count


# --- Turkish ------------------------------------------------------------------------------
def test_the_list_renders_in_turkish(client_for, agent, mine):
    client = client_for(agent)
    response = client.get(LIST, HTTP_ACCEPT_LANGUAGE="tr")
    page = response.content.decode()
    assert "Talepler" in page
    assert "Çözülmemiş" in page


def test_an_internal_note_is_searchable_for_agents(client_for, agent, mine):
    TicketMessageFactory(ticket=mine, body="Secret workaround", kind=TicketMessage.Kind.INTERNAL, from_customer=False)
    assert _listed(client_for(agent), q="workaround") == [mine.pk]


def test_a_rep_who_is_also_an_agent_does_not_find_other_tickets_by_their_notes(client_for, queue, team):
    hybrid = UserFactory(username="hy", role=roles.SUPPORT_AGENT)
    hybrid.groups.add(*UserFactory(role=roles.SALES_REP).groups.all())
    customer = CustomerFactory(owner=hybrid)
    ticket = TicketFactory(queue=queue, customer=customer, subject="Hello")
    TicketMessageFactory(ticket=ticket, body="Secret workaround", kind=TicketMessage.Kind.INTERNAL, from_customer=False)
    assert _listed(client_for(hybrid), q="workaround") == []


# --- saved views and columns ------------------------------------------------------------------
def test_a_saved_view_reopens_its_filters_and_drops_a_queue_the_user_does_not_work(
    client_for, agent, queue, other_queue
):
    from accounts.models import SavedView

    urgent = TicketFactory(queue=queue, priority="urgent")
    TicketFactory(queue=queue, priority="low")
    view = SavedView.objects.create(
        owner=agent, list_key="support:ticket-list", name="Urgent", query=f"priority=urgent&queue={other_queue.pk}"
    )
    client = client_for(agent)
    response = client.get(LIST, {"view": view.pk})
    assert response.status_code == 302
    assert "priority=urgent" in response["Location"] and "queue=" not in response["Location"]
    assert _listed(client, priority="urgent", view=view.pk) == [urgent.pk]


def test_the_column_chooser_hides_the_columns_left_out(client_for, agent, mine):
    response = client_for(agent).get(LIST, {"cols": "subject,sla"})
    headers = [column.name for column in response.context["table"].columns]
    assert "sla" in headers and "queue" not in headers and "assignee" not in headers


def test_managers_find_the_support_dashboard_in_the_navigation_and_agents_do_not(client_for, manager, agent):
    dashboard = f'href="{reverse("support:dashboard")}"'
    assert dashboard in client_for(manager).get(reverse("home")).content.decode()
    assert dashboard not in client_for(agent).get(reverse("home")).content.decode()


def test_agents_find_the_knowledge_base_and_managers_the_satisfaction_report_in_the_navigation(
    client_for, manager, agent, owner
):
    kb, csat = f'href="{reverse("support:kb-list")}"', f'href="{reverse("support:csat-report")}"'
    page = client_for(agent).get(reverse("home")).content.decode()
    assert kb in page and csat not in page
    page = client_for(manager).get(reverse("home")).content.decode()
    assert kb in page and csat in page
    page = client_for(owner).get(reverse("home")).content.decode()
    assert kb not in page and csat not in page
