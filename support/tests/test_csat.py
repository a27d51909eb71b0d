"""Satisfaction surveys: answered once, and the results per agent and queue."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accounts import roles
from accounts.tests.factories import UserFactory
from support.models import CsatSurvey
from support.selectors.csat import csat_results
from support.services import csat
from support.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db


def _answered(queue, agent, score, *, days_ago=1):
    survey = CsatSurvey.objects.create(ticket=TicketFactory(queue=queue), agent=agent, queue=queue)
    survey.score, survey.answered_at = score, timezone.now() - timedelta(days=days_ago)
    survey.save()
    return survey


def test_answering_records_the_score_and_comment_once(queue, agent):
    survey = CsatSurvey.objects.create(ticket=TicketFactory(queue=queue), agent=agent, queue=queue)
    csat.survey_answer(survey=survey, score=4, comment="  Fine  ")
    with pytest.raises(csat.SurveyAlreadyAnswered):
        csat.survey_answer(survey=survey, score=1, comment="")
    survey.refresh_from_db()
    assert (survey.score, survey.comment) == (4, "Fine")
    assert survey.ticket.events.filter(action="csat_answered", new_value="4").exists()


def test_a_score_outside_one_to_five_is_refused_by_the_service(queue):
    survey = CsatSurvey.objects.create(ticket=TicketFactory(queue=queue), queue=queue)
    with pytest.raises(ValueError):
        csat.survey_answer(survey=survey, score=0, comment="")


@pytest.mark.django_db(transaction=True)
def test_two_answers_at_once_cannot_both_win(queue):
    if connection.vendor != "postgresql":
        pytest.skip("Row locks need PostgreSQL (SQLite serialises writers anyway).")
    survey = CsatSurvey.objects.create(ticket=TicketFactory(queue=queue), queue=queue)
    outcomes, barrier = [], threading.Barrier(2)

    def answer(score):
        barrier.wait()
        try:
            csat.survey_answer(survey=survey, score=score, comment="")
            outcomes.append("won")
        except csat.SurveyAlreadyAnswered:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=answer, args=(score,)) for score in (1, 5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused", "won"]


def test_results_per_agent_and_queue_in_the_period(queue, other_queue, agent, admin_user):
    bob = UserFactory(username="bob", first_name="Bob", role=roles.SUPPORT_AGENT)
    for score in (5, 4, 2):
        _answered(queue, agent, score)
    _answered(other_queue, bob, 5)
    _answered(queue, agent, 1, days_ago=40)  # outside the period
    today = timezone.localdate()
    results = csat_results(user=admin_user, date_from=today - timedelta(days=29), date_to=today)
    by_agent = {row.key: (row.count, row.average, row.satisfied_percent) for row in results.by_agent}
    assert by_agent == {agent.pk: (3, 3.67, 66.7), bob.pk: (1, 5.0, 100.0)}
    by_queue = {row.label: (row.count, row.average) for row in results.by_queue}
    assert by_queue == {"Support": (3, 3.67), "Billing": (1, 5.0)}
    assert (results.total.count, results.total.satisfied) == (4, 3)


def test_a_manager_sees_the_results_of_their_teams_queues_only(queue, other_queue, agent, manager):
    _answered(queue, agent, 5)
    _answered(other_queue, None, 1)
    today = timezone.localdate()
    results = csat_results(user=manager, date_from=today - timedelta(days=7), date_to=today)
    assert [row.label for row in results.by_queue] == ["Support"]


def test_the_report_page_is_for_managers_and_admins(client_for, queue, agent, manager):
    _answered(queue, agent, 5)
    assert client_for(agent).get("/support/csat/").status_code == 403
    response = client_for(manager).get("/support/csat/")
    content = response.content.decode()
    assert response.status_code == 200
    assert 'id="csat-by-agent"' in content and "Alice" in content and "100.0%" in content
