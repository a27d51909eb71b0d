"""Forecast math, pinned with hand-computed cases. The forecast is computed as of 10 March 2026,
so its months are March to August 2026 and the revenue months April 2025 to March 2026."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings
from django.utils import timezone

from sales.models import Deal, Order
from sales.selectors.forecast import (
    ForecastScope,
    forecast_breakdown,
    forecast_for,
    forecast_months,
    revenue_by_month,
)
from sales.tests.factories import DealFactory, OrderFactory, TargetFactory, stage_named

TODAY = date(2026, 3, 10)
MARCH, APRIL, MAY = date(2026, 3, 1), date(2026, 4, 1), date(2026, 5, 1)


def month(result, first_day: date):
    return next(row for row in result.months if row.month == first_day)


def open_deal(owner, amount: str, stage: str, closes: date, **fields) -> Deal:
    return DealFactory.create(
        owner=owner, amount=Decimal(amount), stage=stage_named(stage), expected_close_date=closes, **fields
    )


def won_deal(owner, amount: str, closed_at: datetime) -> Deal:
    return DealFactory.create(owner=owner, amount=Decimal(amount), stage=stage_named("Won"), status=Deal.Status.WON,
                              closed_at=closed_at, expected_close_date=date(2025, 1, 1))  # fmt: skip


def at(year, month_, day, hour=12, minute=0) -> datetime:
    """A moment in the CRM's time zone."""
    return datetime(year, month_, day, hour, minute, tzinfo=timezone.get_default_timezone())


def forecast(user, scope=None, currency="EUR"):
    return forecast_for(user=user, scope=scope or ForecastScope(), currency=currency, today=TODAY)


def test_the_forecast_covers_this_month_and_the_next_five():
    assert forecast_months(TODAY) == [date(2026, m, 1) for m in range(3, 9)]
    assert forecast_months(date(2026, 11, 30))[-1] == date(2027, 4, 1)


def test_weighted_pipeline_is_amount_times_probability_summed_per_close_month(manager, owner, teammate):
    open_deal(owner, "1000.00", "Proposal", date(2026, 3, 5))  # 50 % -> 500.00
    open_deal(teammate, "1001.00", "Needs analysis", date(2026, 3, 31))  # 25 % -> 250.25 (no integer division)
    open_deal(owner, "99.99", "Qualification", date(2026, 4, 1))  # 10 % -> 9.999 -> 10.00
    result = forecast(manager)
    assert month(result, MARCH).weighted == Decimal("750.25")
    assert month(result, APRIL).weighted == Decimal("10.00")
    assert month(result, MAY).weighted == Decimal("0.00")
    assert result.totals.weighted == Decimal("760.25")


def test_best_case_is_every_open_amount_and_commit_only_the_likely_ones(manager, owner):
    open_deal(owner, "1000.00", "Proposal", date(2026, 3, 5))  # 50 %
    open_deal(owner, "400.00", "Negotiation", date(2026, 3, 6))  # 75 %: commit
    won_deal(owner, "7000.00", at(2026, 3, 2))  # closed, so neither best case nor commit
    row = month(forecast(manager), MARCH)
    assert (row.best_case, row.commit) == (Decimal("1400.00"), Decimal("400.00"))


@override_settings(CRM_FORECAST_COMMIT_PROBABILITY=50)
def test_the_commit_threshold_is_a_setting(manager, owner):
    open_deal(owner, "1000.00", "Proposal", date(2026, 3, 5))
    open_deal(owner, "300.00", "Needs analysis", date(2026, 3, 5))
    result = forecast(manager)
    assert month(result, MARCH).commit == Decimal("1000.00")
    assert result.commit_probability == 50


def test_deals_outside_the_six_months_get_their_own_rows_and_other_currencies_are_left_out(manager, owner):
    open_deal(owner, "100.00", "Proposal", date(2026, 2, 28))
    open_deal(owner, "100.00", "Proposal", date(2026, 9, 1))
    open_deal(owner, "100.00", "Proposal", date(2026, 3, 15), currency="USD")
    open_deal(owner, "100.00", "Proposal", None)
    result = forecast(manager)
    assert [row.best_case for row in result.months] == [Decimal("0.00")] * 6
    assert [row.best_case for row in result.outside.rows()] == [Decimal("100.00")] * 3
    assert forecast(manager, currency="USD").totals.best_case == Decimal("100.00")


def test_closed_won_counts_won_deals_by_the_month_they_closed(manager, owner):
    won_deal(owner, "3000.00", at(2026, 3, 9))
    won_deal(owner, "500.00", at(2026, 2, 27))  # before the window
    DealFactory(owner=owner, amount=Decimal("800.00"), stage=stage_named("Lost"), status=Deal.Status.LOST,
                closed_at=at(2026, 3, 3), lost_reason="Price")  # fmt: skip
    result = forecast(manager)
    assert month(result, MARCH).closed_won == Decimal("3000.00")
    assert result.totals.closed_won == Decimal("3000.00")


@override_settings(TIME_ZONE="Europe/Istanbul")
def test_the_close_month_is_the_month_in_the_crms_time_zone(manager, owner):
    istanbul = ZoneInfo("Europe/Istanbul")
    won_deal(owner, "10.00", datetime(2026, 3, 31, 23, 30, tzinfo=istanbul))  # 20:30 UTC: March
    won_deal(owner, "20.00", datetime(2026, 4, 1, 0, 30, tzinfo=istanbul))  # 21:30 UTC on 31 March: April
    result = forecast(manager)
    assert (month(result, MARCH).closed_won, month(result, APRIL).closed_won) == (Decimal("10.00"), Decimal("20.00"))


# --- targets -----------------------------------------------------------------------------
def test_a_reps_target_is_their_own_row(manager, owner, teammate):
    TargetFactory(user=owner, month=MARCH, amount=Decimal("1000.00"))
    TargetFactory(user=teammate, month=MARCH, amount=Decimal("500.00"))
    result = forecast(manager, ForecastScope(user=owner))
    assert month(result, MARCH).target == Decimal("1000.00")
    assert month(result, APRIL).target is None


def test_a_teams_target_is_its_own_row_else_the_sum_of_its_members(manager, team, owner, teammate):
    TargetFactory(user=owner, month=MARCH, amount=Decimal("1000.00"))
    TargetFactory(user=teammate, month=MARCH, amount=Decimal("500.50"))
    TargetFactory(user=owner, month=APRIL, amount=Decimal("100.00"))
    TargetFactory(team=team, month=APRIL, amount=Decimal("3000.00"))
    for scope in (ForecastScope(team=team), ForecastScope()):
        result = forecast(manager, scope)
        assert month(result, MARCH).target == Decimal("1500.50")  # members' sum
        assert month(result, APRIL).target == Decimal("3000.00")  # the team's own row wins
        assert month(result, MAY).target is None
        assert result.totals.target == Decimal("4500.50")


def test_the_whole_scope_adds_up_the_managers_teams_only(manager, team, owner, outsider, other_team):
    TargetFactory(team=team, month=MARCH, amount=Decimal("2000.00"))
    TargetFactory(team=other_team, month=MARCH, amount=Decimal("9999.00"))
    TargetFactory(user=outsider, month=MARCH, amount=Decimal("7777.00"))
    assert month(forecast(manager), MARCH).target == Decimal("2000.00")


# --- scoping -----------------------------------------------------------------------------
def test_deals_of_reps_outside_the_managers_team_are_excluded(manager, owner, outsider):
    open_deal(owner, "1000.00", "Proposal", date(2026, 3, 5))
    open_deal(outsider, "5000.00", "Proposal", date(2026, 3, 5))
    won_deal(outsider, "5000.00", at(2026, 3, 2))
    row = month(forecast(manager), MARCH)
    assert (row.weighted, row.best_case, row.closed_won) == (Decimal("500.00"), Decimal("1000.00"), Decimal("0.00"))


def test_one_team_or_one_rep_narrows_the_forecast(admin_user, team, owner, teammate, outsider):
    open_deal(owner, "1000.00", "Proposal", date(2026, 3, 5))
    open_deal(teammate, "200.00", "Proposal", date(2026, 3, 5))
    open_deal(outsider, "40.00", "Proposal", date(2026, 3, 5))
    assert month(forecast(admin_user), MARCH).best_case == Decimal("1240.00")
    assert month(forecast(admin_user, ForecastScope(team=team)), MARCH).best_case == Decimal("1200.00")
    assert month(forecast(admin_user, ForecastScope(user=teammate)), MARCH).best_case == Decimal("200.00")


@override_settings(CRM_SCOPE_SALES_REP="team")
def test_a_rep_sees_only_their_own_forecast_even_with_team_scope(owner, teammate):
    open_deal(owner, "1000.00", "Proposal", date(2026, 3, 5))
    open_deal(teammate, "200.00", "Proposal", date(2026, 3, 5))
    TargetFactory(user=owner, month=MARCH, amount=Decimal("800.00"))
    row = month(forecast(owner), MARCH)
    assert (row.best_case, row.target) == (Decimal("1000.00"), Decimal("800.00"))


def test_the_breakdown_gives_each_owner_and_team_their_weighted_months(manager, owner, teammate):
    open_deal(owner, "1000.00", "Proposal", date(2026, 3, 5))
    open_deal(owner, "400.00", "Negotiation", date(2026, 4, 5))
    open_deal(teammate, "100.00", "Proposal", date(2026, 3, 5))
    by_owner = forecast_breakdown(user=manager, scope=ForecastScope(), currency="EUR", by="owner", today=TODAY)
    assert [(row.label, row.weighted, row.commit) for row in by_owner] == [
        ("Olivia " + owner.last_name, Decimal("800.00"), Decimal("400.00")),
        ("Tom " + teammate.last_name, Decimal("50.00"), Decimal("0.00")),
    ]
    assert by_owner[0].months[:3] == [Decimal("500.00"), Decimal("300.00"), Decimal("0.00")]
    (by_team,) = forecast_breakdown(user=manager, scope=ForecastScope(), currency="EUR", by="team", today=TODAY)
    assert (by_team.label, by_team.weighted) == ("North", Decimal("850.00"))


# --- won revenue from orders ---------------------------------------------------------------
@pytest.fixture
def customer_of(owner):
    from customers.tests.factories import CustomerFactory

    return lambda person: CustomerFactory(owner=person)


def test_revenue_sums_paid_orders_per_month_for_the_last_twelve_months(manager, owner, outsider, customer_of):
    mine = customer_of(owner)
    OrderFactory(customer=mine, ordered_at=at(2026, 3, 1, 0, 0), total=Decimal("100.10"))
    OrderFactory(customer=mine, ordered_at=at(2026, 3, 9), total=Decimal("0.00"))
    OrderFactory(customer=mine, ordered_at=at(2025, 4, 1, 0, 0), total=Decimal("50.00"))
    OrderFactory(customer=mine, ordered_at=at(2025, 3, 31, 23, 59), total=Decimal("999.00"))  # 13 months ago
    OrderFactory(customer=mine, ordered_at=at(2026, 3, 2), total=Decimal("-30.00"), status=Order.Status.REFUNDED)
    OrderFactory(customer=mine, ordered_at=at(2026, 3, 2), total=Decimal("70.00"), status=Order.Status.CANCELLED)
    OrderFactory(customer=mine, ordered_at=at(2026, 3, 2), total=Decimal("70.00"), currency="USD")
    OrderFactory(customer=customer_of(outsider), ordered_at=at(2026, 3, 2), total=Decimal("5000.00"))
    months = revenue_by_month(user=manager, scope=ForecastScope(), currency="EUR", today=TODAY)
    assert [row.month for row in months] == [date(2025, 4, 1)] + [date(2025, m, 1) for m in range(5, 13)] + [
        date(2026, m, 1) for m in range(1, 4)
    ]
    assert (months[-1].revenue, months[-1].orders) == (Decimal("100.10"), 2)
    assert (months[0].revenue, months[0].orders) == (Decimal("50.00"), 1)
    assert sum(row.revenue for row in months) == Decimal("150.10")


def test_overdue_later_and_undated_open_deals_have_rows_so_the_totals_are_the_open_pipeline(manager, owner):
    open_deal(owner, "1000.00", "Proposal", date(2026, 2, 27))  # overdue: 50 % -> 500.00
    open_deal(owner, "400.00", "Negotiation", date(2025, 11, 3))  # overdue, commit: 75 % -> 300.00
    open_deal(owner, "200.00", "Proposal", date(2026, 3, 5))  # this month (a date earlier this month is March)
    open_deal(owner, "80.00", "Proposal", date(2026, 12, 1))  # after the six months
    open_deal(owner, "60.00", "Proposal", None)  # no close date
    result = forecast(manager)

    overdue = result.outside.overdue
    assert (overdue.weighted, overdue.commit, overdue.best_case) == (
        Decimal("800.00"),
        Decimal("400.00"),
        Decimal("1400.00"),
    )
    assert result.outside.later.best_case == Decimal("80.00")
    assert result.outside.undated.best_case == Decimal("60.00")
    open_pipeline = sum(Deal.objects.filter(status=Deal.Status.OPEN).values_list("amount", flat=True), Decimal(0))
    assert result.totals.best_case == open_pipeline == Decimal("1740.00")
    assert result.totals.weighted == Decimal("970.00")  # 500 + 300 + 100 + 40 + 30
