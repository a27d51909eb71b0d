"""Every RFM scoring rule of the issue, pinned by small hand-computed cases.

`make test` runs this module on SQLite and, in CI, on PostgreSQL as well; the
randomised case compares each database with a plain-Python reading of the
rules, so both databases give the same answer.
"""

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import override_settings

from analytics.db import crm_today
from analytics.models import RfmRun, RfmScore, RfmSegment
from analytics.services import rfm_cell_segments, rfm_prune_runs, rfm_score_run
from analytics.tests.helpers import order
from customers.tests.factories import CustomerFactory
from sales.models import Order

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 3, 10)


def at(day: date, hour: int = 12, minute: int = 0, second: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=UTC)


def days_before(days: int, **kwargs) -> datetime:
    return at(AS_OF - timedelta(days=days), **kwargs)


def scores(run: RfmRun) -> dict[int, RfmScore]:
    return {score.customer_id: score for score in RfmScore.objects.filter(run=run).select_related("segment")}


def score_customers_with(frequencies: list[int]) -> tuple[list, dict[int, RfmScore]]:
    customers = []
    for count in frequencies:
        customer = CustomerFactory()
        for _ in range(count):
            order(customer, days_before(5))
        customers.append(customer)
    return customers, scores(rfm_score_run(as_of=AS_OF))


# --- which orders count -------------------------------------------------------------------
def test_refunded_and_cancelled_orders_never_count():
    customer = CustomerFactory()
    order(customer, days_before(3), "50.00")
    order(customer, days_before(1), "70.00", status=Order.Status.REFUNDED)
    order(customer, days_before(1), "90.00", status=Order.Status.CANCELLED)
    refunded_only = CustomerFactory()
    order(refunded_only, days_before(1), status=Order.Status.REFUNDED)

    result = scores(rfm_score_run(as_of=AS_OF))

    assert set(result) == {customer.pk}
    assert (result[customer.pk].recency_days, result[customer.pk].frequency) == (3, 1)
    assert result[customer.pk].monetary == Decimal("50.00")


def test_a_zero_total_paid_order_counts():
    customer = CustomerFactory()
    order(customer, days_before(2), "0.00")

    result = scores(rfm_score_run(as_of=AS_OF))[customer.pk]

    assert (result.frequency, result.monetary, result.recency_days) == (1, Decimal("0.00"), 2)


def test_customers_without_counted_orders_get_no_score_at_all():
    scored, never_ordered = CustomerFactory(), CustomerFactory()
    order(scored, days_before(1))

    run = rfm_score_run(as_of=AS_OF)

    assert run.n_scored == 1
    assert not RfmScore.objects.filter(run=run, customer=never_ordered).exists()


def test_orders_without_a_reference_are_separate_orders_even_when_identical():
    customer = CustomerFactory()
    when = days_before(4)
    order(customer, when, "12.50", order_ref="")
    order(customer, when, "12.50", order_ref="")

    result = scores(rfm_score_run(as_of=AS_OF))[customer.pk]

    assert (result.frequency, result.monetary) == (2, Decimal("25.00"))


def test_monetary_is_the_exact_decimal_sum():
    cents, whole = CustomerFactory(), CustomerFactory()
    for total in ("0.10", "0.20", "1234567.89"):
        order(cents, days_before(1), total)
    for total in ("0.30", "1234567.89"):
        order(whole, days_before(1), total)

    result = scores(rfm_score_run(as_of=AS_OF))

    assert result[cents.pk].monetary == result[whole.pk].monetary == Decimal("1234568.19")
    assert result[cents.pk].m_score == result[whole.pk].m_score  # equal sums tie, even on SQLite


# --- the as-of date, the window and the time zone ------------------------------------------
def test_only_orders_before_the_as_of_date_count():
    customer = CustomerFactory()
    order(customer, at(AS_OF - timedelta(days=1), 23, 59, 59), "5.00")
    order(customer, at(AS_OF, 0, 0, 0), "7.00")  # 00:00 on the as-of date: excluded
    order(customer, at(AS_OF, 9), "9.00")

    result = scores(rfm_score_run(as_of=AS_OF))[customer.pk]

    assert (result.frequency, result.monetary, result.recency_days) == (1, Decimal("5.00"), 1)


def test_the_window_includes_its_first_day_and_nothing_before():
    customer = CustomerFactory()
    order(customer, at(AS_OF - timedelta(days=10), 0, 0, 0), "3.00")  # first day of a 10-day window
    order(customer, at(AS_OF - timedelta(days=11), 23, 59, 59), "4.00")  # the day before
    order(customer, at(AS_OF - timedelta(days=1), 23, 59, 59), "5.00")  # last day before as-of
    outside_only = CustomerFactory()
    order(outside_only, at(AS_OF - timedelta(days=30)))

    run = rfm_score_run(as_of=AS_OF, window_days=10)
    result = scores(run)

    assert set(result) == {customer.pk}
    assert (result[customer.pk].frequency, result[customer.pk].monetary) == (2, Decimal("8.00"))
    assert run.window_days == 10


def test_without_a_window_all_history_counts():
    customer = CustomerFactory()
    order(customer, at(date(2015, 1, 1)), "1.00")
    order(customer, days_before(2), "2.00")

    result = scores(rfm_score_run(as_of=AS_OF))[customer.pk]

    assert (result.frequency, result.monetary, result.recency_days) == (2, Decimal("3.00"), 2)


@override_settings(TIME_ZONE="America/New_York")
def test_dates_are_calendar_dates_in_the_crm_time_zone():
    customer = CustomerFactory()
    # 04:30 UTC on the as-of date is 23:30 the evening before in New York (UTC−4 in March after DST).
    order(customer, datetime(2026, 3, 10, 3, 30, tzinfo=UTC), "5.00")
    # 04:00 UTC is 00:00 in New York: on the as-of date, so it does not count.
    order(customer, datetime(2026, 3, 10, 4, 0, tzinfo=UTC), "7.00")
    early = CustomerFactory()
    # 02:00 UTC on March 5 is still March 4 in New York: recency 6 days, not 5.
    order(early, datetime(2026, 3, 5, 2, 0, tzinfo=UTC))

    result = scores(rfm_score_run(as_of=AS_OF))

    assert (result[customer.pk].frequency, result[customer.pk].recency_days) == (1, 1)
    assert result[early.pk].recency_days == 6


@override_settings(TIME_ZONE="Europe/Istanbul")
def test_the_window_edge_follows_the_crm_time_zone():
    customer = CustomerFactory()
    # Istanbul is UTC+3: 21:00 UTC on Feb 27 is 00:00 on Feb 28, the window's first day.
    order(customer, datetime(2026, 2, 27, 21, 0, tzinfo=UTC), "3.00")
    order(customer, datetime(2026, 2, 27, 20, 59, 59, tzinfo=UTC), "4.00")

    result = scores(rfm_score_run(as_of=AS_OF, window_days=10))[customer.pk]

    assert (result.frequency, result.monetary, result.recency_days) == (1, Decimal("3.00"), 10)


@override_settings(TIME_ZONE="Pacific/Kiritimati")
def test_the_default_as_of_date_is_today_in_the_crm_time_zone():
    run = rfm_score_run()

    assert run.as_of == crm_today()
    assert run.n_scored == 0


# --- ranks and scores ---------------------------------------------------------------------
def test_scores_follow_the_rank_formula_for_distinct_values():
    customers, result = score_customers_with([1, 2, 3, 4, 5, 6, 7])

    # N = 7, r = 1..7: 1 + floor(5 × (r − 1) / 7)
    assert [result[c.pk].f_score for c in customers] == [1, 1, 2, 3, 3, 4, 5]


def test_ties_share_the_lowest_rank_and_so_the_score():
    customers, result = score_customers_with([1, 1, 1, 2, 3])

    # RANK(): 1, 1, 1, 4, 5 of N = 5
    assert [result[c.pk].f_score for c in customers] == [1, 1, 1, 4, 5]


def test_everyone_tied_scores_one():
    customers, result = score_customers_with([2, 2, 2])

    assert {(s.r_score, s.f_score, s.m_score) for s in result.values()} == {(1, 1, 1)}


def test_a_single_scored_customer_scores_one_on_each_metric():
    customers, result = score_customers_with([3])

    assert (result[customers[0].pk].r_score, result[customers[0].pk].f_score) == (1, 1)


def test_more_recency_days_is_worse():
    old, middle, recent = CustomerFactory(), CustomerFactory(), CustomerFactory()
    order(old, days_before(300))
    order(middle, days_before(30))
    order(recent, days_before(1))

    result = scores(rfm_score_run(as_of=AS_OF))

    assert [result[c.pk].recency_days for c in (old, middle, recent)] == [300, 30, 1]
    assert [result[c.pk].r_score for c in (old, middle, recent)] == [1, 2, 4]


def test_a_smaller_sum_is_a_worse_monetary_score():
    small, large = CustomerFactory(), CustomerFactory()
    order(small, days_before(1), "10.00")
    order(large, days_before(1), "10.01")

    result = scores(rfm_score_run(as_of=AS_OF))

    assert (result[small.pk].m_score, result[large.pk].m_score) == (1, 3)


# --- segments -----------------------------------------------------------------------------
def test_the_default_segment_map_covers_every_cell_as_the_issue_lists():
    names = {segment.pk: segment.name for segment in RfmSegment.objects.all()}
    cells = {cell: names[segment] for cell, segment in rfm_cell_segments().items()}

    assert cells["11"] == cells["22"] == "Hibernating"
    assert cells["13"] == cells["24"] == "At Risk"
    assert cells["15"] == cells["25"] == "Can't Lose Them"
    assert cells["31"] == cells["32"] == "About to Sleep"
    assert cells["33"] == "Need Attention"
    assert cells["34"] == cells["45"] == "Loyal Customers"
    assert cells["41"] == "Promising"
    assert cells["51"] == "New Customers"
    assert cells["42"] == cells["53"] == "Potential Loyalists"
    assert cells["54"] == cells["55"] == "Champions"


def test_a_later_rule_overrides_an_earlier_one():
    RfmSegment.objects.create(position=500, pattern="55", name="VIP")

    names = {segment.pk: segment.name for segment in RfmSegment.objects.all()}
    cells = rfm_cell_segments()

    assert names[cells["55"]] == "VIP"
    assert names[cells["54"]] == "Champions"


def test_cells_no_rule_matches_have_no_segment():
    RfmSegment.objects.filter(name="Hibernating").delete()

    assert rfm_cell_segments()["11"] is None


def test_each_score_row_gets_the_segment_of_its_cell():
    customers, result = score_customers_with([1, 1, 1, 1, 5])
    cells = rfm_cell_segments()

    for score in result.values():
        assert score.segment_id == cells[f"{score.r_score}{score.f_score}"]
    # Same recency for all (R = 1); F is 1 for the four tied ones and 5 for the last.
    assert [result[c.pk].segment.name for c in customers] == ["Hibernating"] * 4 + ["Can't Lose Them"]


# --- storing runs -------------------------------------------------------------------------
def test_a_run_stores_its_summary():
    big, small = CustomerFactory(), CustomerFactory()
    order(big, days_before(1), "100.00")
    order(big, days_before(2), "50.00")
    order(small, days_before(40), "10.00")

    run = rfm_score_run(as_of=AS_OF)

    assert run.n_scored == 2
    assert run.finished_at is not None and run.duration_ms is not None
    assert sum(run.summary["cells"].values()) == 2
    segments = run.summary["segments"]
    assert sum(figures["customers"] for figures in segments.values()) == 2
    assert sum(Decimal(figures["revenue"]) for figures in segments.values()) == Decimal("160.00")
    assert sum(figures["orders"] for figures in segments.values()) == 3


def test_only_the_latest_runs_keep_their_score_rows():
    customer = CustomerFactory()
    order(customer, days_before(1))
    runs = [rfm_score_run(as_of=AS_OF) for _ in range(3)]

    pruned = rfm_prune_runs(keep=2)

    assert pruned == 1
    assert not RfmScore.objects.filter(run=runs[0]).exists()
    assert RfmScore.objects.filter(run=runs[2]).count() == 1
    runs[0].refresh_from_db()
    assert runs[0].scores_kept is False
    assert runs[0].summary["cells"]  # the summary stays


# --- the same answer as a plain reading of the rules ----------------------------------------
def reference_scores(orders: list[Order], *, as_of: date, window_days: int | None) -> dict[int, tuple]:
    """The rules of the issue in plain Python, for the randomised comparison below (UTC zone)."""
    first = as_of - timedelta(days=window_days) if window_days is not None else date.min
    per_customer: dict[int, tuple] = {}
    for row in orders:
        day = row.ordered_at.astimezone(UTC).date()
        if row.status == Order.Status.PAID and first <= day < as_of:
            last, count, money = per_customer.get(row.customer_id, (date.min, 0, Decimal(0)))
            per_customer[row.customer_id] = (max(last, day), count + 1, money + row.total)
    metrics = {cid: ((as_of - last).days, count, money) for cid, (last, count, money) in per_customer.items()}
    n = len(metrics)

    def score(value, values, worse_is_larger):
        worse = sum(1 for other in values if (other > value if worse_is_larger else other < value))
        return 1 + (5 * worse) // n

    columns: list[Any] = list(zip(*metrics.values(), strict=True)) if metrics else [[], [], []]
    return {
        cid: (days, count, money, score(days, columns[0], True), score(count, columns[1], False),
              score(money, columns[2], False))
        for cid, (days, count, money) in metrics.items()
    }  # fmt: skip


@pytest.mark.parametrize("window_days", [None, 45])
def test_scores_match_a_plain_reading_of_the_rules(window_days):
    rng = random.Random(6)
    customers = [CustomerFactory() for _ in range(40)]
    totals = ["0.00", "9.99", "10.00", "19.98", "0.10", "0.20", "0.30", "250.00"]
    statuses = [Order.Status.PAID] * 6 + [Order.Status.REFUNDED, Order.Status.CANCELLED]
    for _ in range(260):
        when = at(AS_OF - timedelta(days=rng.randint(-3, 90)), rng.randint(0, 23), rng.choice([0, 59]))
        order(rng.choice(customers[:35]), when, rng.choice(totals), status=rng.choice(statuses))

    run = rfm_score_run(as_of=AS_OF, window_days=window_days)

    stored = {
        s.customer_id: (s.recency_days, s.frequency, s.monetary, s.r_score, s.f_score, s.m_score)
        for s in RfmScore.objects.filter(run=run)
    }
    assert stored == reference_scores(list(Order.objects.all()), as_of=AS_OF, window_days=window_days)
    assert len({value[3:] for value in stored.values()}) > 5  # the data really spreads over many scores
