"""The support dashboard: managers and admins only, scoped to the queues they oversee, a fixed query count."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from customers.tests.factories import CustomerFactory
from support.models import CsatSurvey
from support.selectors.dashboard import dashboard_for_user, percentile
from support.tests.factories import QueueFactory, SlaPolicyFactory, TicketFactory

pytestmark = pytest.mark.django_db

URL = reverse("support:dashboard")
NOW = timezone.now()


def row_of(page: str, table_id: str, key: str) -> str:
    """The table row with data-* = key in the table with this id."""
    table = page.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    return table.split(f'"{key}"', 1)[1].split("</tr>", 1)[0]


def cells(row: str) -> list[str]:
    return [part.split(">", 1)[1].split("<", 1)[0].strip() for part in row.split("<td")[1:]]


def test_only_managers_and_admins_open_the_dashboard(client, client_for, agent, owner, manager, admin_user):
    assert client.get(URL).status_code == 302  # to the login page
    assert client_for(agent).get(URL).status_code == 403
    assert client_for(owner).get(URL).status_code == 403
    assert client_for(manager).get(URL).status_code == 200
    assert client_for(admin_user).get(URL).status_code == 200


def test_a_manager_sees_the_backlog_of_their_teams_queues_only(client_for, manager, queue, other_queue):
    for status in ("new", "new", "open", "pending", "solved"):
        TicketFactory(queue=queue, status=status)
    TicketFactory(queue=other_queue, status="new")

    page = client_for(manager).get(URL).content.decode()

    assert cells(row_of(page, "backlog-table", "support")) == ["2", "1", "1", "0", "4"]  # new, open, pending, hold
    assert 'data-queue="billing"' not in page


def test_an_admin_sees_every_queue(client_for, admin_user, queue, other_queue):
    TicketFactory(queue=other_queue, status="on_hold")

    page = client_for(admin_user).get(URL).content.decode()

    assert cells(row_of(page, "backlog-table", "billing"))[:4] == ["0", "0", "0", "1"]
    assert 'data-queue="general"' in page and 'data-queue="support"' in page


def test_median_and_p90_are_those_of_the_business_minutes_against_the_policies_targets(client_for, manager, queue):
    for minutes in (10, 20, 30, 40, 100):
        TicketFactory(queue=queue, priority="high", first_response_minutes=minutes)
    SlaPolicyFactory(priority="high", first_response_minutes=30)
    SlaPolicyFactory(priority="high", queue=queue, first_response_minutes=60)

    page = client_for(manager).get(URL).content.decode()

    # median 30; p90 at rank 3.6: 40 + 0.6 × 60 = 76 minutes
    assert cells(row_of(page, "first-response-table", "high")) == ["5", "30m", "1h 16m", "30m – 1h 0m", ""]


def test_within_target_counts_each_ticket_against_its_own_due_time(manager, queue):
    due = NOW - timedelta(hours=1)
    TicketFactory(queue=queue, first_response_minutes=5, first_response_due=due, first_responded_at=due)
    TicketFactory(queue=queue, first_response_minutes=90, first_response_due=due, first_responded_at=NOW)
    TicketFactory(queue=queue, first_response_minutes=90, first_response_due=due, first_responded_at=NOW)
    TicketFactory(queue=queue, first_response_minutes=3)  # no clock: not counted either way

    normal = next(row for row in dashboard_for_user(user=manager, now=NOW).first_response if row.priority == "normal")

    assert (normal.measured, normal.with_due, normal.met, normal.met_pct) == (4, 3, 1, 33)


def test_breaches_count_late_answers_and_tickets_breached_now(client_for, manager, queue):
    past = NOW - timedelta(hours=2)
    TicketFactory(queue=queue, status="open", first_response_due=past, first_responded_at=NOW)  # late answer
    TicketFactory(queue=queue, status="solved", resolution_due=past, solved_at=NOW)  # resolved late
    TicketFactory(queue=queue, status="open", resolution_due=past)  # breached now
    TicketFactory(queue=queue, status="new", first_response_due=past)  # breached now
    TicketFactory(queue=queue, status="pending", resolution_due=past, sla_paused_at=past)  # paused: not now
    TicketFactory(queue=queue, status="open", resolution_due=NOW + timedelta(hours=1))  # on time

    page = client_for(manager).get(URL).content.decode()

    assert cells(row_of(page, "breaches-table", "support")) == ["1", "1", "2"]
    assert "2 tickets breached now" in page


def test_the_csat_trend_averages_each_weeks_answered_surveys(manager, queue, other_queue):
    ticket = TicketFactory(queue=queue, status="solved")
    for score, days in ((5, 0), (4, 0), (2, 21)):
        CsatSurvey.objects.create(ticket=ticket, score=score, answered_at=NOW - timedelta(days=days))
    CsatSurvey.objects.create(ticket=ticket)  # not answered
    CsatSurvey.objects.create(ticket=TicketFactory(queue=other_queue), score=1, answered_at=NOW)  # not theirs

    weeks = dashboard_for_user(user=manager, now=NOW).csat

    assert len(weeks) == 12
    assert (weeks[-1].answered, weeks[-1].average) == (2, 4.5)
    assert (weeks[-4].answered, weeks[-4].average) == (1, 2.0)
    assert sum(week.answered for week in weeks) == 3


def test_percentile_interpolates_as_postgresqls_percentile_cont():
    assert percentile([1, 2, 3, 4], 0.5) == 2.5
    assert percentile([10, 20, 30, 40, 100], 0.9) == pytest.approx(76)
    assert percentile([7], 0.9) == 7
    assert percentile([], 0.5) is None


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL).status_code == 200
    return len(queries)


def test_the_dashboard_takes_the_same_few_queries_whatever_it_shows(client_for, admin_user, queue):
    client = client_for(admin_user)
    TicketFactory(queue=queue)
    few = _queries(client)
    for index in range(6):
        extra = QueueFactory()
        for status in ("new", "open", "solved"):
            ticket = TicketFactory(queue=extra, status=status, customer=CustomerFactory(), first_response_minutes=index)
        CsatSurvey.objects.create(ticket=ticket, score=4, answered_at=NOW)

    assert _queries(client) == few <= 12
