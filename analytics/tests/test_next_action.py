"""The next best action on "My day": whom to contact today and why, ranked, within the viewer's scope."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse, reverse_lazy
from django.utils import timezone, translation

from analytics.models import ClvRun, ClvScore, RfmRun, RfmScore, RfmSegment
from analytics.selectors.next_action import NEXT_ACTION_LIMIT, SIGNAL_WEIGHTS, next_actions
from customers.models import Interaction
from customers.tests.factories import CustomerFactory
from sales.models import Deal, Task
from sales.tests.factories import DealFactory, TaskFactory, stage_named

HOME = "/"
SECTION = reverse_lazy("sales:my-day-card", args=["next-best-action"])  # what the home loads after the page


# --- making runs without fitting or scoring -------------------------------------------------
def clv_run(**fields) -> ClvRun:
    fields = {
        "calibration_end": timezone.localdate(),
        "horizon": 52.0,
        "discount_rate": 0.01,
        "finished_at": timezone.now(),
        "summary": {"high_value_from": "100.00"},
        **fields,
    }
    return ClvRun.objects.create(**fields)


def clv_score(run, customer, *, p_alive: float, clv: str = "500.00", frequency: int = 5, value: str = "50.00"):
    return ClvScore.objects.create(
        run=run, customer=customer, frequency=frequency, recency=10.0, T=20.0, monetary_value=Decimal(value),
        p_alive=p_alive, expected_purchases=1.0, expected_average_value=Decimal(value), clv=Decimal(clv),
    )  # fmt: skip


@pytest.fixture
def clv_runs():
    """The two latest kept runs: (previous, latest)."""
    return clv_run(), clv_run()


def rfm_run() -> RfmRun:
    return RfmRun.objects.create(as_of=timezone.localdate(), finished_at=timezone.now())


def in_segment(run, customer, name: str, monetary: str = "100.00") -> RfmScore:
    return RfmScore.objects.create(
        run=run, customer=customer, recency_days=200, frequency=4, monetary=Decimal(monetary),
        r_score=1, f_score=4, m_score=3, segment=RfmSegment.objects.get(name=name),
    )  # fmt: skip


def quiet_deal(owner, *, days: int, customer=None, title: str = "Renewal") -> Deal:
    customer = customer or CustomerFactory(owner=owner)
    when = timezone.now() - timedelta(days=days, hours=1)
    return DealFactory.create(owner=owner, customer=customer, title=title, stage_changed_at=when, created_at=when)


def overdue_task(owner, customer, *, days: int = 3) -> Task:
    when = timezone.now() - timedelta(days=days, hours=1)
    return TaskFactory.create(owner=owner, customer=customer, due_at=when, created_at=when - timedelta(days=1))


def reasons_by_customer(user) -> dict[int, str]:
    return {action.customer.pk: action.reason_text for action in next_actions(user=user)}


# --- the signals -------------------------------------------------------------------------------
def test_a_valuable_customer_slipping_away_since_the_previous_clv_run_is_a_reason(owner, clv_runs):
    previous, latest = clv_runs
    slipping, steady = CustomerFactory(owner=owner), CustomerFactory(owner=owner)
    clv_score(previous, slipping, p_alive=0.9)
    clv_score(latest, slipping, p_alive=0.3)
    clv_score(previous, steady, p_alive=0.9)
    clv_score(latest, steady, p_alive=0.85)
    assert reasons_by_customer(owner) == {slipping.pk: "high lifetime value, chance still active down from 90% to 30%"}


def test_a_steep_fall_counts_only_among_the_top_quarter_by_clv(owner, clv_runs):
    previous, latest = clv_runs
    top, low = CustomerFactory(owner=owner), CustomerFactory(owner=owner)
    fillers = CustomerFactory.create_batch(6, owner=owner)
    for customer, clv in [(top, "900.00"), (low, "50.00")]:
        clv_score(previous, customer, p_alive=0.95, clv=clv)
        clv_score(latest, customer, p_alive=0.7, clv=clv)  # a fall of 0.25, still above the 0.5 threshold
    for customer in fillers:
        clv_score(latest, customer, p_alive=0.9, clv="100.00")
    assert reasons_by_customer(owner) == {top.pk: "high lifetime value, chance still active down from 95% to 70%"}


def test_slipping_away_means_what_clv_slipping_away_says(owner, clv_runs):
    from analytics.selectors.clv import clv_slipping_away

    previous, latest = clv_runs
    # (p_alive before, now, repeat periods): past value is periods × 50.00, "high" from 100.00
    cases = [(0.9, 0.3, 5), (0.9, 0.3, 1), (0.55, 0.45, 5), (0.45, 0.2, 5), (0.9, 0.6, 5)]
    for was, now, frequency in cases:
        customer = CustomerFactory(owner=owner)
        clv_score(previous, customer, p_alive=was, frequency=frequency, clv="10.00")
        clv_score(latest, customer, p_alive=now, frequency=frequency, clv="10.00")
    for customer in CustomerFactory.create_batch(5, owner=owner):  # the top quarter by CLV, not falling
        clv_score(previous, customer, p_alive=0.9, clv="1000.00")
        clv_score(latest, customer, p_alive=0.9, clv="1000.00")
    expected = set(clv_slipping_away(run=latest, previous=previous).values_list("customer_id", flat=True))
    assert len(expected) == 2
    assert set(reasons_by_customer(owner)) == expected


def test_without_a_previous_clv_run_nobody_is_slipping_yet(owner):
    customer = CustomerFactory(owner=owner)
    clv_score(clv_run(), customer, p_alive=0.1)
    assert next_actions(user=owner) == []


def test_at_risk_and_cant_lose_them_in_the_latest_kept_rfm_run_are_reasons(owner):
    at_risk, cant_lose, champion, was_at_risk = CustomerFactory.create_batch(4, owner=owner)
    old, latest = rfm_run(), rfm_run()
    in_segment(old, was_at_risk, "At Risk")
    in_segment(latest, at_risk, "At Risk")
    in_segment(latest, cant_lose, "Can't Lose Them")
    in_segment(latest, champion, "Champions")
    assert reasons_by_customer(owner) == {cant_lose.pk: "Can't Lose Them in RFM", at_risk.pk: "At Risk in RFM"}


def test_an_open_deal_quiet_longer_than_its_pipeline_allows_is_a_reason(owner):
    threshold = quiet_deal(owner, days=0).pipeline.stuck_after_days
    quiet = quiet_deal(owner, days=21, title="Big renewal").customer
    just_in_time = quiet_deal(owner, days=threshold).customer
    touched = quiet_deal(owner, days=30).customer
    Interaction.objects.create(customer=touched, kind="note", summary="Sent the quote", user=owner,
                               occurred_at=timezone.now() - timedelta(days=2))  # fmt: skip
    won = quiet_deal(owner, days=40)
    Deal.objects.filter(pk=won.pk).update(status=Deal.Status.WON, stage=stage_named("Won"))
    reasons = reasons_by_customer(owner)
    assert reasons == {quiet.pk: "open deal “Big renewal” quiet for 21 days"}
    assert just_in_time.pk not in reasons and touched.pk not in reasons


def test_an_overdue_task_on_the_customer_is_a_reason(owner):
    one, two, on_time = CustomerFactory.create_batch(3, owner=owner)
    overdue_task(owner, one, days=3)
    overdue_task(owner, two, days=5)
    overdue_task(owner, two, days=1)
    TaskFactory(owner=owner, customer=on_time, due_at=timezone.now() + timedelta(days=1),
                created_at=timezone.now() - timedelta(days=2))  # fmt: skip
    TaskFactory(owner=owner, customer=on_time, due_at=timezone.now() - timedelta(days=4), done_at=timezone.now(),
                created_at=timezone.now() - timedelta(days=6))  # fmt: skip
    assert reasons_by_customer(owner) == {
        two.pk: "2 tasks overdue, the oldest for 5\xa0days",
        one.pk: "a task overdue for 3\xa0days",
    }


# --- one row per customer, ranked -------------------------------------------------------------
def test_a_customers_reasons_are_combined_in_one_row_the_weightiest_first(owner):
    customer = CustomerFactory(owner=owner)
    quiet_deal(owner, days=21, customer=customer, title="Renewal")
    in_segment(rfm_run(), customer, "At Risk")
    (action,) = next_actions(user=owner)
    assert action.reason_text == "At Risk in RFM · open deal “Renewal” quiet for 21 days"
    assert action.score == SIGNAL_WEIGHTS["at_risk"] + SIGNAL_WEIGHTS["quiet_deal"]


def test_the_list_is_ranked_by_the_weights_with_clv_breaking_ties(owner, clv_runs):
    previous, latest = clv_runs
    both, slipping, cant_lose, at_risk_rich, at_risk_poor, task_only = CustomerFactory.create_batch(6, owner=owner)
    run = rfm_run()
    in_segment(run, both, "At Risk")
    overdue_task(owner, both)  # 30 + 20
    clv_score(previous, slipping, p_alive=0.9)
    clv_score(latest, slipping, p_alive=0.2)  # 40
    in_segment(run, cant_lose, "Can't Lose Them")  # 35
    for customer, clv in [(at_risk_rich, "800.00"), (at_risk_poor, "20.00")]:
        in_segment(run, customer, "At Risk")  # 30 each: the higher CLV first
        clv_score(latest, customer, p_alive=0.9, clv=clv)
    overdue_task(owner, task_only)  # 20
    ranked = [action.customer for action in next_actions(user=owner)]
    assert ranked == [both, slipping, cant_lose, at_risk_rich, at_risk_poor, task_only]


def test_the_list_shows_at_most_ten_customers(owner):
    run = rfm_run()
    for customer in CustomerFactory.create_batch(NEXT_ACTION_LIMIT + 2, owner=owner):
        in_segment(run, customer, "At Risk")
    assert len(next_actions(user=owner)) == NEXT_ACTION_LIMIT


# --- acted on today -----------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["call", "email", "meeting"])
def test_a_customer_contacted_today_leaves_the_list(owner, kind):
    contacted, waiting = CustomerFactory.create_batch(2, owner=owner)
    run = rfm_run()
    in_segment(run, contacted, "At Risk")
    in_segment(run, waiting, "At Risk")
    Interaction.objects.create(customer=contacted, kind=kind, summary="Spoke", user=owner)
    assert list(reasons_by_customer(owner)) == [waiting.pk]


def test_a_note_today_or_a_call_yesterday_keeps_the_customer_on_the_list(owner):
    noted, called_yesterday = CustomerFactory.create_batch(2, owner=owner)
    run = rfm_run()
    in_segment(run, noted, "At Risk")
    in_segment(run, called_yesterday, "At Risk")
    Interaction.objects.create(customer=noted, kind="note", summary="Thought of them", user=owner)
    Interaction.objects.create(customer=called_yesterday, kind="call", summary="Spoke", user=owner,
                               occurred_at=timezone.now() - timedelta(days=1, hours=1))  # fmt: skip
    # A company-wide call without a customer must not empty the list (NOT IN over a NULL).
    Interaction.objects.create(company=None, customer=None, kind="call", summary="Unrelated", user=owner)
    assert set(reasons_by_customer(owner)) == {noted.pk, called_yesterday.pk}


def test_a_customer_given_a_task_today_leaves_the_list(owner):
    tasked, waiting = CustomerFactory.create_batch(2, owner=owner)
    run = rfm_run()
    in_segment(run, tasked, "At Risk")
    in_segment(run, waiting, "At Risk")
    TaskFactory(owner=owner, customer=tasked, due_at=timezone.now() + timedelta(days=2))
    TaskFactory(owner=owner, customer=None, due_at=timezone.now() + timedelta(days=2))  # no customer: no effect
    assert list(reasons_by_customer(owner)) == [waiting.pk]


# --- scope --------------------------------------------------------------------------------------
@pytest.fixture
def everyone_at_risk(owner, teammate, outsider):
    run = rfm_run()
    customers = {user.username: CustomerFactory(owner=user) for user in (owner, teammate, outsider)}
    for customer in customers.values():
        in_segment(run, customer, "At Risk")
        overdue_task(customer.owner, customer)
    return customers


@pytest.mark.parametrize("rep_scope", ["own", "team"])
def test_a_rep_sees_only_their_own_customers(owner, everyone_at_risk, settings, rep_scope):
    settings.CRM_SCOPE_SALES_REP = rep_scope  # even when reps may read their team's customers
    assert list(reasons_by_customer(owner)) == [everyone_at_risk["olivia"].pk]


def test_a_manager_sees_their_teams_customers_and_not_another_teams(manager, everyone_at_risk):
    assert set(reasons_by_customer(manager)) == {everyone_at_risk["olivia"].pk, everyone_at_risk["tom"].pk}


# --- on My day ----------------------------------------------------------------------------------
def test_my_day_shows_each_item_with_its_reason_and_the_two_actions(client_for, owner):
    customer = CustomerFactory(owner=owner, first_name="Ada", last_name="Lovelace")
    in_segment(rfm_run(), customer, "Can't Lose Them")
    content = client_for(owner).get(SECTION).content.decode()
    card = content.split('id="next-best-action"', 1)[1]
    assert "Ada Lovelace" in card and "Can&#x27;t Lose Them in RFM" in card
    assert f'action="{reverse("customers:interaction-create", args=[customer.pk])}"' in card
    assert '<input type="hidden" name="kind" value="call">' in card
    assert '<input type="hidden" name="next" value="/">' in card
    assert f"{reverse('sales:task-create')}?customer={customer.pk}&amp;next=/" in card
    assert 'data-testid="next-action-owner"' not in card  # a rep's own customers need no owner


def test_logging_the_call_from_my_day_returns_there_and_the_item_is_gone(client_for, owner):
    customer = CustomerFactory(owner=owner, last_name="Lovelace")
    in_segment(rfm_run(), customer, "At Risk")
    client = client_for(owner)
    assert len(client.get(SECTION).context["actions"]) == 1  # the ranking is now cached
    response = client.post(
        reverse("customers:interaction-create", args=[customer.pk]),
        {"kind": "call", "summary": "At Risk in RFM", "next": HOME},
        follow=True,
    )
    assert response.redirect_chain == [(HOME, 302)]
    section = client.get(SECTION)
    assert section.context["actions"] == []
    assert "Nobody needs a call from you today." in section.content.decode()


def test_creating_the_task_from_my_day_returns_there_and_the_item_is_gone(client_for, owner):
    customer = CustomerFactory(owner=owner, last_name="Lovelace")
    in_segment(rfm_run(), customer, "At Risk")
    client = client_for(owner)
    url = f"{reverse('sales:task-create')}?customer={customer.pk}&next={HOME}"
    assert "Lovelace" in client.get(url).content.decode()  # the form names the customer
    due = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(url, {"title": "Call back", "due_at": due, "priority": 2}, follow=True)
    assert response.redirect_chain == [(HOME, 302)]
    assert Task.objects.get(title="Call back").customer == customer
    assert client.get(SECTION).context["actions"] == []


def test_the_team_overview_lists_the_teams_items_with_the_owners_name(client_for, manager, everyone_at_risk):
    content = client_for(manager).get(SECTION).content.decode()
    card = content.split('id="next-best-action"', 1)[1]
    assert card.count('data-testid="next-action"') == 2
    assert "Olivia" in card and "Tom" in card and "Oscar" not in card


def test_support_agents_get_no_next_best_action(client_for, agent):
    assert 'id="next-best-action"' not in client_for(agent).get(HOME).content.decode()
    response = client_for(agent).get(reverse("sales:my-day-card", args=["next-best-action"]))
    assert response.status_code == 404


def test_the_section_re_renders_on_its_own_for_htmx(client_for, owner, everyone_at_risk):
    response = client_for(owner).get(
        reverse("sales:my-day-card", args=["next-best-action"]), headers={"HX-Request": "true"}
    )
    content = response.content.decode()
    assert content.count('data-testid="next-action"') == 1 and "<html" not in content


def test_the_reasons_read_in_turkish(client_for, owner):
    customer = CustomerFactory(owner=owner)
    in_segment(rfm_run(), customer, "At Risk")
    quiet_deal(owner, days=21, customer=customer, title="Renewal")
    with translation.override("tr"):
        (action,) = next_actions(user=owner)
        assert action.reason_text == "RFM'de Risk Altında · açık fırsat “Renewal” 21 gündür sessiz"
    content = client_for(owner).get(SECTION, headers={"accept-language": "tr"}).content.decode()
    assert "Sıradaki en iyi adım" in content and "Arama kaydet" in content


# --- bounded work -------------------------------------------------------------------------------
def _customer_with_every_signal(owner, previous, latest, rfm):
    customer = CustomerFactory(owner=owner)
    clv_score(previous, customer, p_alive=0.9)
    clv_score(latest, customer, p_alive=0.2)
    in_segment(rfm, customer, "Can't Lose Them")
    quiet_deal(owner, days=30, customer=customer)
    overdue_task(owner, customer)


@pytest.fixture
def no_ranking_cache(monkeypatch):
    """Every call reads the signals (a timeout of 0 caches nothing)."""
    monkeypatch.setattr("analytics.selectors.next_action.NEXT_ACTION_CACHE_SECONDS", 0)


def test_the_selector_query_count_does_not_grow_with_customers(
    owner, clv_runs, django_assert_num_queries, no_ranking_cache
):
    previous, latest = clv_runs
    rfm = rfm_run()
    _customer_with_every_signal(owner, previous, latest, rfm)
    next_actions(user=owner)  # the top quarter's CLV is cached per run after this
    # latest and previous CLV run, CLV signal, RFM run, RFM signal, pipelines, quiet deals,
    # overdue tasks, the candidates' CLV, the customers (in scope, not acted on) with their owners
    with django_assert_num_queries(10):
        assert len(next_actions(user=owner)) == 1
    for _ in range(12):
        _customer_with_every_signal(owner, previous, latest, rfm)
    with django_assert_num_queries(10):
        assert len(next_actions(user=owner)) == NEXT_ACTION_LIMIT


def test_a_cached_ranking_costs_one_query_and_still_drops_whom_the_rep_just_called(owner, django_assert_num_queries):
    run = rfm_run()
    called, waiting = CustomerFactory.create_batch(2, owner=owner)
    in_segment(run, called, "At Risk", monetary="900.00")
    in_segment(run, waiting, "At Risk")
    assert [action.customer for action in next_actions(user=owner)] == [called, waiting]
    Interaction.objects.create(customer=called, kind="call", summary="Spoke", user=owner)
    with django_assert_num_queries(1):  # the customers, in scope and not acted on today
        assert [action.customer for action in next_actions(user=owner)] == [waiting]


# The home runs only sales' own cards' queries (sales/tests/test_my_day.py; the manager's RFM card
# also reads the segments and the previous run once a run exists): the section loads after the page.
PINNED_HOME_QUERIES = {"owner": 10, "manager": 13 + 2}
# The section on its own: the session, the user and their roles and teams,
# then with the ranking cached one query, without it ten.
PINNED_SECTION_QUERIES = {
    ("owner", "cached"): 3 + 1,
    ("owner", "read"): 3 + 10,
    ("manager", "cached"): 3 + 1,
    ("manager", "read"): 3 + 10,
}


@pytest.mark.parametrize("persona", ["owner", "manager"])
def test_the_home_shows_a_placeholder_and_reads_none_of_the_section(
    request, client_for, owner, persona, clv_runs, django_assert_num_queries
):
    previous, latest = clv_runs
    rfm = rfm_run()
    _customer_with_every_signal(owner, previous, latest, rfm)
    client = client_for(request.getfixturevalue(persona))
    client.get(HOME)
    with django_assert_num_queries(PINNED_HOME_QUERIES[persona]):
        content = client.get(HOME).content.decode()
    assert f'hx-get="{SECTION}" hx-trigger="load"' in content
    assert 'data-testid="next-action"' not in content


@pytest.mark.parametrize("ranking", ["cached", "read"])
@pytest.mark.parametrize("persona", ["owner", "manager"])
def test_the_next_best_action_has_a_pinned_query_count(
    request, client_for, owner, persona, ranking, clv_runs, django_assert_num_queries, monkeypatch
):
    if ranking == "read":
        monkeypatch.setattr("analytics.selectors.next_action.NEXT_ACTION_CACHE_SECONDS", 0)
    previous, latest = clv_runs
    rfm = rfm_run()
    _customer_with_every_signal(owner, previous, latest, rfm)
    client = client_for(request.getfixturevalue(persona))
    client.get(SECTION)
    with django_assert_num_queries(PINNED_SECTION_QUERIES[persona, ranking]):
        client.get(SECTION)
    for _ in range(12):
        _customer_with_every_signal(owner, previous, latest, rfm)
    with django_assert_num_queries(PINNED_SECTION_QUERIES[persona, ranking]):
        client.get(SECTION)
