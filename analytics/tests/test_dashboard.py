"""The managers' overview: monthly figures, new vs returning customers, RFM history, pipeline and forecast."""

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from analytics.db import crm_today
from analytics.models import RfmRun, RfmSegment
from analytics.selectors.dashboard import cohort_cells, monthly_figures, rfm_history
from analytics.services import rfm_score_run
from analytics.tests.helpers import order
from customers.tests.factories import CustomerFactory
from sales.models import Order
from sales.selectors.forecast import add_months
from sales.tests.factories import DealFactory, OrderFactory, stage_named

pytestmark = pytest.mark.django_db

OVERVIEW = reverse("analytics:overview")
TODAY = date(2026, 4, 15)


def on(month: date, day: int = 10) -> datetime:
    return datetime(month.year, month.month, day, 12, tzinfo=UTC)


def this_month(offset: int = 0) -> date:
    return add_months(crm_today().replace(day=1), offset)


def figures(today: date = TODAY) -> dict:
    return {row.month: row for row in monthly_figures(data=cohort_cells(refresh=True), today=today)}


def blob(response) -> dict:
    content = response.content.decode()
    return json.loads(content.split('<script id="analytics-data" type="application/json">')[1].split("</script>")[0])


def run_with(as_of: date, segments: dict, *, finished: bool = True) -> RfmRun:
    return RfmRun.objects.create(
        as_of=as_of,
        finished_at=timezone.now() if finished else None,
        n_scored=sum(figures["customers"] for figures in segments.values()),
        summary={"cells": {}, "cell_segments": {}, "segments": segments},
    )


def size(name: str, customers: int) -> dict:
    return {"name": name, "customers": customers, "revenue": "0.00", "orders": customers, "recency": 0}


# --- monthly figures ---------------------------------------------------------------------------
def test_new_customers_are_first_time_buyers_and_returning_ones_ordered_before():
    january_buyer, march_buyer, old_buyer = CustomerFactory(), CustomerFactory(), CustomerFactory()
    order(january_buyer, on(date(2026, 1, 1)), "100.00")
    order(january_buyer, on(date(2026, 3, 1), 2), "20.00")
    order(january_buyer, on(date(2026, 3, 1), 3), "30.00")
    order(march_buyer, on(date(2026, 3, 1)), "50.00")
    order(old_buyer, on(date(2024, 6, 1)), "999.00")  # before the twelve months shown
    order(old_buyer, on(date(2026, 2, 1)), "5.00")

    result = figures()

    assert list(result) == [add_months(date(2025, 5, 1), offset) for offset in range(12)]
    assert (result[date(2026, 1, 1)].new_customers, result[date(2026, 1, 1)].returning_customers) == (1, 0)
    assert (result[date(2026, 2, 1)].new_customers, result[date(2026, 2, 1)].returning_customers) == (0, 1)
    march = result[date(2026, 3, 1)]
    assert (march.new_customers, march.returning_customers) == (1, 1)
    assert (march.orders, march.revenue, march.average_order_value) == (3, Decimal("100.00"), Decimal("33.33"))
    assert result[date(2026, 4, 1)].average_order_value is None
    assert sum(row.revenue for row in result.values()) == Decimal("205.00")


def test_refunded_and_cancelled_orders_are_neither_revenue_nor_a_first_order():
    customer = CustomerFactory()
    order(customer, on(date(2026, 1, 1)), "70.00", status=Order.Status.REFUNDED)
    order(customer, on(date(2026, 2, 1)), "40.00")
    order(customer, on(date(2026, 2, 1)), "90.00", status=Order.Status.CANCELLED)

    result = figures()

    assert (result[date(2026, 1, 1)].revenue, result[date(2026, 1, 1)].orders) == (Decimal("0.00"), 0)
    february = result[date(2026, 2, 1)]
    assert (february.revenue, february.orders, february.new_customers, february.returning_customers) == (
        Decimal("40.00"),
        1,
        1,
        0,
    )


# --- RFM history ---------------------------------------------------------------------------------
def test_the_rfm_history_reads_the_latest_eight_finished_runs_oldest_first():
    champions = RfmSegment.objects.get(name="Champions")
    runs = [run_with(date(2026, 1, day), {str(champions.pk): size("Champions", day)}) for day in range(1, 11)]
    run_with(date(2026, 1, 20), {str(champions.pk): size("Champions", 99)}, finished=False)

    history = rfm_history()

    assert [run.pk for run in history.runs] == [run.pk for run in runs[2:]]
    assert [(series.name, series.color, series.customers) for series in history.series] == [
        ("Champions", champions.color, [3, 4, 5, 6, 7, 8, 9, 10])
    ]


def test_the_rfm_history_keeps_segment_order_then_deleted_segments_then_customers_in_no_segment():
    at_risk, champions = RfmSegment.objects.get(name="At Risk"), RfmSegment.objects.get(name="Champions")
    gone = RfmSegment.objects.create(position=200, pattern="55", name="Gone", color="#123456")
    gone_key = str(gone.pk)
    run_with(date(2026, 1, 1), {gone_key: size("Gone", 4), "": size("", 1), str(champions.pk): size("Champions", 2)})
    run_with(date(2026, 2, 1), {str(at_risk.pk): size("At Risk", 3), str(champions.pk): size("Champions", 5)})
    gone.delete()

    history = rfm_history()

    assert [(series.name, series.color, series.customers) for series in history.series] == [
        ("At Risk", at_risk.color, [0, 3]),
        ("Champions", champions.color, [2, 5]),
        ("Gone", "#adb5bd", [4, 0]),
        ("No segment", "#adb5bd", [1, 0]),
    ]


def test_the_rfm_history_shows_a_real_scoring_run():
    for _ in range(3):
        OrderFactory(customer=CustomerFactory(), ordered_at=timezone.now() - timedelta(days=3))
    run = rfm_score_run(as_of=crm_today())

    history = rfm_history()

    assert history.runs == [run]
    assert sum(sum(series.customers) for series in history.series) == 3 == run.n_scored


# --- the page ------------------------------------------------------------------------------------
def test_a_manager_sees_company_figures_in_charts_and_tables(client_for, manager, owner, outsider):
    mine, theirs = CustomerFactory(owner=owner), CustomerFactory(owner=outsider)
    order(mine, on(this_month(-1)), "100.00")
    order(mine, on(this_month(), 1), "40.00")
    order(theirs, on(this_month(), 2), "60.00")

    response = client_for(manager).get(OVERVIEW)

    assert response.status_code == 200
    current = response.context["months"][-1]
    assert (current.month, current.revenue, current.orders) == (this_month(), Decimal("100.00"), 2)
    assert (current.new_customers, current.returning_customers, current.average_order_value) == (
        1,
        1,
        Decimal("50.00"),
    )
    data = blob(response)
    assert data["months"]["revenue"][-2:] == ["100.00", "100.00"]
    assert data["months"]["new"][-1] == 1 and data["months"]["returning"][-1] == 1
    assert len(data["months"]["labels"]) == 12
    content = response.content.decode()
    for table in ("revenue-table", "orders-table", "customers-table", "pipeline-table", "forecast-table"):
        assert f'id="{table}"' in content
    assert "vendor/chart.js/chart.umd.min.js" in content and "js/analytics.js" in content
    assert f'href="{reverse("analytics:rfm")}"' in content
    assert f'href="{reverse("analytics:cohorts")}"' in content


def test_pipeline_and_forecast_follow_the_viewers_sales_scope(client_for, manager, admin_user, owner, outsider):
    DealFactory(owner=owner, amount=Decimal("1000.00"), stage=stage_named("Proposal"), expected_close_date=this_month())
    DealFactory(owner=outsider, amount=Decimal("5000.00"), stage=stage_named("Proposal"))

    def proposal(response) -> tuple[int, Decimal]:
        pipeline = response.context["pipeline"]
        column = next(column for column in pipeline.columns if column.stage.name == "Proposal")
        return column.count, pipeline.amount(column)

    as_manager = client_for(manager).get(OVERVIEW)
    assert proposal(as_manager) == (1, Decimal("1000.00"))
    assert as_manager.context["forecast"].months[0].weighted == Decimal("500.00")
    assert all(column.stage.is_open for column in as_manager.context["pipeline"].columns)

    as_admin = client_for(admin_user).get(OVERVIEW)
    assert proposal(as_admin) == (2, Decimal("6000.00"))
    assert blob(as_admin)["pipeline"]["labels"] == [
        column.stage.name for column in as_admin.context["pipeline"].columns
    ]


def test_the_rfm_chart_is_drawn_from_the_runs_with_segment_colours(client_for, manager):
    champions = RfmSegment.objects.get(name="Champions")
    run_with(date(2026, 1, 1), {str(champions.pk): size("Champions", 7)})

    response = client_for(manager).get(OVERVIEW)

    assert blob(response)["rfm"]["series"] == [{"name": "Champions", "color": champions.color, "customers": [7]}]
    content = response.content.decode()
    assert 'id="rfm-chart"' in content and 'id="rfm-table"' in content
    assert 'id="rfm-empty"' not in content


def test_without_rfm_runs_the_overview_shows_an_empty_state_linking_to_the_rfm_report(client_for, manager):
    run_with(date(2026, 1, 1), {}, finished=False)

    response = client_for(manager).get(OVERVIEW)

    content = response.content.decode()
    assert 'id="rfm-empty"' in content and "No RFM scoring run yet." in content
    empty_state = content.split('id="rfm-empty"')[1].split("</div>")[0]
    assert f'href="{reverse("analytics:rfm")}"' in empty_state
    assert 'id="rfm-chart"' not in content


def test_the_overview_reads_the_cached_aggregation_until_refreshed(client_for, manager):
    client = client_for(manager)
    client.get(OVERVIEW)
    order(CustomerFactory(), timezone.now(), "12.00")

    assert client.get(OVERVIEW).context["months"][-1].revenue == Decimal("0.00")
    assert client.get(OVERVIEW, {"refresh": "1"}).context["months"][-1].revenue == Decimal("12.00")


def test_reps_and_support_agents_get_403(client_for, owner, agent):
    assert client_for(owner).get(OVERVIEW).status_code == 403
    assert client_for(agent).get(OVERVIEW).status_code == 403


def test_strangers_are_sent_to_log_in(client):
    response = client.get(OVERVIEW)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_overview_query_count_is_pinned(client_for, manager, owner, django_assert_num_queries):
    champions = RfmSegment.objects.get(name="Champions")

    def add_rows(count):
        for day in range(1, count + 1):
            customer = CustomerFactory(owner=owner)
            order(customer, on(this_month(-1), day))
            order(customer, on(this_month(), 1))
            DealFactory(owner=owner, stage=stage_named("Proposal"), expected_close_date=this_month())
            run_with(date(2026, 1, day), {str(champions.pk): size("Champions", day)})

    add_rows(2)
    client = client_for(manager)
    client.get(OVERVIEW)  # warm the session
    # session, user, roles and team ids (the scope names them as values);
    # the cohort aggregation; pipelines, stages, stage totals;
    # forecast open deals, won deals, the manager's teams, team targets, members' targets,
    # open deals outside the months; RFM runs, segments
    with django_assert_num_queries(15):
        client.get(OVERVIEW, {"refresh": "1"})
    add_rows(8)
    with django_assert_num_queries(15):
        client.get(OVERVIEW, {"refresh": "1"})
    with django_assert_num_queries(14):  # the aggregation from the cache
        client.get(OVERVIEW)


def test_the_manager_home_shows_rfm_segment_sizes_and_their_change(client_for, manager, owner):
    from datetime import timedelta

    from django.utils import timezone

    from analytics.models import RfmScore
    from analytics.services import rfm_score_run
    from customers.tests.factories import CustomerFactory
    from sales.tests.factories import OrderFactory

    for days_ago in (3, 300):
        OrderFactory(customer=CustomerFactory(owner=owner), ordered_at=timezone.now() - timedelta(days=days_ago))
    rfm_score_run()
    OrderFactory(customer=CustomerFactory(owner=owner), ordered_at=timezone.now() - timedelta(days=2))
    latest = rfm_score_run()

    response = client_for(manager).get("/")

    sizes = {size.name: (size.customers, size.change) for size in response.context["sizes"]}
    assert sum(customers for customers, _change in sizes.values()) == RfmScore.objects.filter(run=latest).count() == 3
    assert sum(change for _customers, change in sizes.values()) == 1
    assert 'data-testid="home-rfm"' in response.content.decode()
