"""The rep's home ("my day") and the manager's home."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from sales.models import Deal, Lead
from sales.selectors.forecast import add_months
from sales.tests.factories import DealFactory, LeadFactory, TaskFactory, stage_named


def this_month(day: int = 15):
    today = timezone.localdate()
    return today.replace(day=min(day, 28))


def test_my_day_lists_open_tasks_due_today_and_overdue(client_for, owner, teammate):
    now = timezone.now()
    TaskFactory(owner=owner, title="Overdue call", due_at=now - timedelta(days=3))
    TaskFactory(owner=owner, title="Due now", due_at=now)
    TaskFactory(owner=owner, title="Next week", due_at=now + timedelta(days=7))
    TaskFactory(owner=owner, title="Already done", due_at=now, done_at=now)
    TaskFactory(owner=teammate, title="Tom's call", due_at=now)
    response = client_for(owner).get("/")
    assert [task.title for task in response.context["tasks"]] == ["Overdue call", "Due now"]
    assert "Overdue call" in response.content.decode()


def test_my_day_lists_my_open_deals_closing_this_month(client_for, owner, teammate):
    DealFactory(owner=owner, title="This month", expected_close_date=this_month())
    DealFactory(owner=owner, title="Next month", expected_close_date=add_months(this_month(1), 1))
    DealFactory(owner=owner, title="Won already", expected_close_date=this_month(), stage=stage_named("Won"),
                status=Deal.Status.WON)  # fmt: skip
    DealFactory(owner=teammate, title="Tom's", expected_close_date=this_month())
    response = client_for(owner).get("/")
    assert [deal.title for deal in response.context["deals_closing"]] == ["This month"]


def test_my_day_flags_open_deals_whose_close_date_has_passed(client_for, owner):
    from datetime import timedelta

    DealFactory(owner=owner, title="Left behind", expected_close_date=this_month() - timedelta(days=40))
    DealFactory(owner=owner, title="On time", expected_close_date=add_months(this_month(), 1) - timedelta(days=1))
    response = client_for(owner).get("/")
    assert [deal.title for deal in response.context["deals_closing"]] == ["Left behind", "On time"]
    card = response.content.decode().split('id="my-deals-closing"', 1)[1]
    assert card.count('data-testid="close-overdue"') == 1


def test_each_deal_on_my_day_has_a_stage_select_posting_to_the_move_endpoint(client_for, owner):
    deal = DealFactory(owner=owner, expected_close_date=this_month())
    content = client_for(owner).get("/").content.decode()
    assert f'action="{reverse("sales:deal-move", args=[deal.pk])}"' in content
    assert f'<option value="{stage_named("Proposal").pk}">Proposal (50 %)</option>' in content


def test_deals_are_stuck_after_more_days_in_stage_than_the_pipeline_allows(client_for, owner):
    now = timezone.now()
    threshold = DealFactory(owner=owner).pipeline.stuck_after_days
    DealFactory(owner=owner, title="Stuck", stage_changed_at=now - timedelta(days=threshold + 1, hours=1))
    DealFactory(owner=owner, title="Just in time", stage_changed_at=now - timedelta(days=threshold, hours=1))
    DealFactory(owner=owner, title="Stuck but lost", stage_changed_at=now - timedelta(days=90),
                stage=stage_named("Lost"), status=Deal.Status.LOST)  # fmt: skip
    response = client_for(owner).get("/")
    stuck = response.context["deals_stuck"]
    assert [deal.title for deal in stuck] == ["Stuck"]
    assert all(deal.is_stuck() for deal in stuck)
    assert f"{threshold + 1} days in Qualification" in response.content.decode()


def test_my_day_lists_leads_assigned_this_week_still_to_work(client_for, owner, teammate):
    now = timezone.now()
    LeadFactory(owner=owner, last_name="Fresh")
    LeadFactory(owner=owner, last_name="Contacted", status=Lead.Status.CONTACTED)
    LeadFactory(owner=owner, last_name="Qualified", status=Lead.Status.QUALIFIED)
    LeadFactory(owner=owner, last_name="Old", created_at=now - timedelta(days=8))
    LeadFactory(owner=teammate, last_name="Toms")
    response = client_for(owner).get("/")
    assert sorted(lead.last_name for lead in response.context["leads"]) == ["Contacted", "Fresh"]
    content = response.content.decode()
    assert reverse("sales:lead-status", args=[response.context["leads"][0].pk]) in content


def test_each_card_is_capped_at_ten_with_a_link_to_all(client_for, owner):
    TaskFactory.create_batch(12, owner=owner, due_at=timezone.now() - timedelta(hours=1))
    response = client_for(owner).get("/")
    assert len(response.context["tasks"]) == 10
    assert f'href="{reverse("sales:task-list")}"' in response.content.decode()


def test_the_home_query_count_is_pinned(client_for, owner, django_assert_num_queries, settings):
    settings.CRM_MY_DAY_SECTIONS = []  # sales' own cards; analytics pins the page with its section

    def add_rows():
        now = timezone.now()
        DealFactory(owner=owner, expected_close_date=this_month(), stage_changed_at=now - timedelta(days=60))
        TaskFactory(owner=owner, due_at=now, deal=DealFactory(owner=owner))
        LeadFactory(owner=owner)

    add_rows()
    client = client_for(owner)
    client.get("/")  # warm the session
    # session, user, roles, tasks, deals closing + their pipelines' stages,
    # pipelines (stuck thresholds), stuck deals + stages, leads
    with django_assert_num_queries(10):
        client.get("/")
    for _ in range(5):
        add_rows()
    with django_assert_num_queries(10):
        client.get("/")


@pytest.mark.parametrize(
    ("card", "context_key"),
    [("tasks", "tasks"), ("deals-closing", "deals_closing"), ("deals-stuck", "deals_stuck"), ("leads", "leads")],
)
def test_a_card_re_renders_on_its_own_for_htmx(client_for, owner, card, context_key):
    response = client_for(owner).get(reverse("sales:my-day-card", args=[card]), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert context_key in response.context
    assert "<html" not in response.content.decode()


def test_an_unknown_card_is_404(client_for, owner):
    assert client_for(owner).get(reverse("sales:my-day-card", args=["nope"])).status_code == 404


# --- the manager's home --------------------------------------------------------------------
def test_the_manager_home_shows_the_team_pipeline_closing_deals_and_overdue_tasks(client_for, manager, owner, outsider):
    DealFactory(owner=owner, title="Big one", amount=Decimal("1000.00"), stage=stage_named("Proposal"),
                expected_close_date=this_month())  # fmt: skip
    DealFactory(owner=owner, title="Later", amount=Decimal("200.00"), stage=stage_named("Negotiation"),
                expected_close_date=add_months(this_month(1), 2))  # fmt: skip
    DealFactory(owner=outsider, title="Not my team", amount=Decimal("5000.00"), expected_close_date=this_month())
    TaskFactory(owner=owner, title="Late task", due_at=timezone.now() - timedelta(days=1))
    TaskFactory(owner=outsider, title="Oscar's late task", due_at=timezone.now() - timedelta(days=1))
    response = client_for(manager).get("/")
    (total,) = response.context["pipeline_totals"]
    assert (total.deals, total.amount, total.weighted) == (2, Decimal("1200.00"), Decimal("650.00"))
    assert [deal.title for deal in response.context["closing_deals"]] == ["Big one"]
    assert [task.title for task in response.context["overdue_tasks"]] == ["Late task"]
    content = response.content.decode()
    assert "650.00 EUR" in content
    assert reverse("sales:forecast") in content
    assert "Support" in content and "RFM segments" in content
    assert "coming soon" not in content.split("Support")[0]  # only support is still to come


def test_the_manager_home_shows_this_weeks_activity_and_won_revenue_against_target(client_for, manager, owner):
    from customers.models import Interaction
    from customers.tests.factories import CustomerFactory
    from sales.models import DealStageChange
    from sales.tests.factories import TargetFactory

    customer = CustomerFactory(owner=owner)
    for kind in ("call", "call", "meeting", "note"):
        Interaction.objects.create(customer=customer, kind=kind, summary="Worked", user=owner)
    Interaction.objects.create(customer=customer, kind="call", summary="Last month", user=owner,
                               occurred_at=timezone.now() - timedelta(days=40))  # fmt: skip
    deal = DealFactory(owner=owner, amount=Decimal("3000.00"), stage=stage_named("Won"), status=Deal.Status.WON,
                       closed_at=timezone.now())  # fmt: skip
    DealStageChange.objects.create(deal=deal, from_stage=stage_named("Proposal"), to_stage=deal.stage, actor=owner)
    TargetFactory(user=owner, month=this_month(1), amount=Decimal("12000.00"))

    response = client_for(manager).get("/")

    (rob,) = [row for row in response.context["team_activity"] if row.rep == owner]
    assert (rob.calls, rob.meetings, rob.emails_and_notes, rob.deals_moved) == (2, 1, 1, 1)
    (first, *_rest) = response.context["leaderboard"]
    assert (first.rep, first.won, first.target, first.share) == (owner, Decimal("3000.00"), Decimal("12000.00"), 25)
    content = response.content.decode()
    assert 'data-testid="team-activity"' in content and 'data-testid="leaderboard"' in content
    assert "3,000.00 EUR" in content and "12,000.00 EUR" in content


def test_the_manager_home_query_count_is_pinned(client_for, manager, owner, django_assert_num_queries, settings):
    settings.CRM_MY_DAY_SECTIONS = []  # the cards of the apps; analytics pins the page with its section
    client = client_for(manager)
    DealFactory(owner=owner, expected_close_date=this_month())
    TaskFactory(owner=owner, due_at=timezone.now() - timedelta(days=1))
    client.get("/")
    # session, user, roles and team ids (the scope names them as values), pipeline totals,
    # closing deals, overdue tasks, the team's people, activities logged, deals moved, deals won,
    # targets; the latest RFM run (none yet: no segments read); the support backlog by queue
    with django_assert_num_queries(13):
        client.get("/")
    DealFactory.create_batch(5, owner=owner, expected_close_date=this_month())
    TaskFactory.create_batch(5, owner=owner, due_at=timezone.now() - timedelta(days=1))
    with django_assert_num_queries(13):
        client.get("/")


def test_support_agents_keep_their_own_home(client_for, agent):
    response = client_for(agent).get("/")
    assert "home/agent.html" in [template.name for template in response.templates]
