"""The cohort report: hand-computed cohorts, the CRM time zone at month ends, the cache and the CSV."""

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.test import override_settings
from django.urls import reverse

from analytics.db import crm_today
from analytics.selectors.dashboard import cohort_cells, cohort_report
from analytics.tests.helpers import order
from customers.tests.factories import CustomerFactory
from sales.models import Order
from sales.selectors.forecast import add_months

pytestmark = pytest.mark.django_db

COHORTS = reverse("analytics:cohorts")
EXPORT = reverse("analytics:cohorts-export")
TODAY = date(2026, 4, 15)


def noon(year: int, month: int, day: int = 15) -> datetime:
    return datetime(year, month, day, 12, tzinfo=UTC)


def report(months: int = 12, today: date = TODAY):
    return cohort_report(data=cohort_cells(refresh=True), months=months, today=today)


def row_for(result, cohort: date):
    return next(row for row in result.rows if row.cohort == cohort)


def this_month(offset: int = 0) -> date:
    return add_months(crm_today().replace(day=1), offset)


def on(month: date, day: int) -> datetime:
    return datetime(month.year, month.month, day, 12, tzinfo=UTC)


# --- the figures ---------------------------------------------------------------------------
def test_a_customer_ordering_again_two_months_later_counts_in_month_two_of_their_cohort():
    returning, once = CustomerFactory(), CustomerFactory()
    order(returning, noon(2026, 1, 5), "100.00")
    order(returning, noon(2026, 1, 20), "50.00")
    order(returning, noon(2026, 3, 2), "30.00")
    order(once, noon(2026, 1, 9), "20.00")

    january = row_for(report(), date(2026, 1, 1))

    assert january.size == 2
    assert [(cell.months_since, cell.customers) for cell in january.months] == [(0, 2), (1, 0), (2, 1), (3, 0)]
    assert [cell.retention_pct for cell in january.months] == [Decimal("100.0"), 0, Decimal("50.0"), 0]
    assert [cell.revenue for cell in january.months] == [
        Decimal("170.00"),
        Decimal("0.00"),
        Decimal("30.00"),
        Decimal("0.00"),
    ]


def test_the_cohort_is_the_month_of_the_first_paid_order_not_of_a_later_one():
    customer = CustomerFactory()
    order(customer, noon(2026, 2, 1))
    order(customer, noon(2026, 3, 1))

    result = report()

    assert row_for(result, date(2026, 2, 1)).size == 1
    assert row_for(result, date(2026, 3, 1)).size == 0


def test_refunded_and_cancelled_orders_are_left_out_of_cohorts_and_revenue():
    customer = CustomerFactory()
    order(customer, noon(2026, 1, 3), "80.00", status=Order.Status.REFUNDED)
    order(customer, noon(2026, 2, 3), "40.00")
    order(customer, noon(2026, 3, 3), "60.00", status=Order.Status.CANCELLED)
    refunded_only = CustomerFactory()
    order(refunded_only, noon(2026, 1, 4), status=Order.Status.REFUNDED)

    result = report()

    assert row_for(result, date(2026, 1, 1)).size == 0
    february = row_for(result, date(2026, 2, 1))
    assert february.size == 1
    assert [(cell.customers, cell.revenue) for cell in february.months] == [
        (1, Decimal("40.00")),
        (0, Decimal("0.00")),
        (0, Decimal("0.00")),
    ]


def test_orders_in_another_currency_count_for_the_cohort_but_not_for_the_revenue():
    customer = CustomerFactory()
    order(customer, noon(2026, 1, 3), "99.00", currency="USD")
    order(customer, noon(2026, 2, 3), "40.00")

    january = row_for(report(), date(2026, 1, 1))

    assert january.size == 1
    assert [(cell.customers, cell.revenue) for cell in january.months[:2]] == [
        (1, Decimal("0.00")),
        (1, Decimal("40.00")),
    ]


def test_revenue_is_the_exact_decimal_sum():
    customer = CustomerFactory()
    for total in ("0.10", "0.20", "1234567.89", "0.01"):
        order(customer, noon(2026, 1, 10), total)

    assert row_for(report(), date(2026, 1, 1)).months[0].revenue == Decimal("1234568.20")


@pytest.mark.parametrize(
    ("time_zone", "ordered_at", "cohort"),
    [
        # 21:30 UTC on 31 January is 00:30 on 1 February in Istanbul (UTC+3).
        ("Europe/Istanbul", datetime(2026, 1, 31, 21, 30, tzinfo=UTC), date(2026, 2, 1)),
        ("Europe/Istanbul", datetime(2026, 1, 31, 20, 59, tzinfo=UTC), date(2026, 1, 1)),
        # 03:00 UTC on 1 February is still 31 January in New York (UTC−5).
        ("America/New_York", datetime(2026, 2, 1, 3, 0, tzinfo=UTC), date(2026, 1, 1)),
        ("UTC", datetime(2026, 2, 1, 3, 0, tzinfo=UTC), date(2026, 2, 1)),
    ],
)
def test_months_are_calendar_months_in_the_crm_time_zone(time_zone, ordered_at, cohort):
    customer = CustomerFactory()
    order(customer, ordered_at)

    with override_settings(TIME_ZONE=time_zone):
        result = report()

    assert [row.cohort for row in result.rows if row.size] == [cohort]


def test_the_report_shows_the_chosen_number_of_cohorts_each_up_to_the_current_month():
    result = report(months=6)

    assert [row.cohort for row in result.rows] == [add_months(date(2025, 11, 1), offset) for offset in range(6)]
    assert result.columns == [0, 1, 2, 3, 4, 5]
    assert [len(row.months) for row in result.rows] == [6, 5, 4, 3, 2, 1]
    assert [len(row.future_months) for row in result.rows] == [0, 1, 2, 3, 4, 5]
    assert all(cell.retention_pct is None for row in result.rows for cell in row.months)


def test_the_aggregation_is_cached_until_refreshed(django_assert_num_queries):
    customer = CustomerFactory()
    order(customer, noon(2026, 1, 5))
    first = cohort_cells()
    order(CustomerFactory(), noon(2026, 1, 6))

    with django_assert_num_queries(0):
        assert cohort_cells() == first
    with django_assert_num_queries(1):
        refreshed = cohort_cells(refresh=True)
    assert [cell.customers for cell in refreshed.cells] == [2]
    assert cohort_cells() == refreshed


# --- the page ------------------------------------------------------------------------------
def test_a_manager_sees_the_heatmap_and_the_revenue_table(client_for, manager, owner):
    customer = CustomerFactory(owner=owner)
    order(customer, on(this_month(-2), 10))
    order(customer, on(this_month(), 1), "25.50")
    order(CustomerFactory(), on(this_month(-2), 11))

    response = client_for(manager).get(COHORTS)

    assert response.status_code == 200
    row = row_for(response.context["report"], this_month(-2))
    assert (row.size, [cell.customers for cell in row.months]) == (2, [2, 0, 1])
    content = response.content.decode()
    assert 'style="background-color: rgba(var(--bs-primary-rgb), 0.50)"' in content
    assert "50.0 %" in content and "25.50" in content
    assert 'id="refresh-link"' in content and "Computed at" in content
    assert len(response.context["report"].rows) == 12


def test_the_months_choice_picks_6_12_or_24_cohorts_and_ignores_anything_else(client_for, admin_user):
    client = client_for(admin_user)
    assert len(client.get(COHORTS, {"months": "6"}).context["report"].rows) == 6
    assert len(client.get(COHORTS, {"months": "24"}).context["report"].rows) == 24
    assert len(client.get(COHORTS, {"months": "7"}).context["report"].rows) == 12
    assert len(client.get(COHORTS, {"months": "x"}).context["report"].rows) == 12


def test_the_page_serves_the_cache_and_refresh_recomputes_it(client_for, manager):
    client = client_for(manager)
    client.get(COHORTS)
    order(CustomerFactory(), datetime.now(UTC))

    assert row_for(client.get(COHORTS).context["report"], this_month()).size == 0
    assert row_for(client.get(COHORTS, {"refresh": "1"}).context["report"], this_month()).size == 1
    assert row_for(client.get(COHORTS).context["report"], this_month()).size == 1


def test_the_csv_export_has_one_row_per_cohort_and_month_since(client_for, manager):
    customer = CustomerFactory()
    order(customer, on(this_month(-2), 10), "100.00")
    order(customer, on(this_month(-1), 28), "12.34")
    order(CustomerFactory(), on(this_month(-2), 11), "1.00")

    response = client_for(manager).get(EXPORT, {"months": "6"})

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="cohorts-')
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["cohort", "size", "months_since", "customers", "retention_pct", "revenue"]
    assert len(rows) == 1 + 6 + 5 + 4 + 3 + 2 + 1
    cohort = f"{this_month(-2):%Y-%m}"
    assert [row for row in rows if row[0] == cohort] == [
        [cohort, "2", "0", "2", "100.0", "101.00"],
        [cohort, "2", "1", "1", "50.0", "12.34"],
        [cohort, "2", "2", "0", "0.0", "0.00"],
    ]
    assert [f"{this_month():%Y-%m}", "0", "0", "0", "", "0.00"] in rows


@pytest.mark.parametrize("url", [COHORTS, EXPORT])
def test_reps_and_support_agents_get_403(client_for, owner, agent, url):
    assert client_for(owner).get(url).status_code == 403
    assert client_for(agent).get(url).status_code == 403


@pytest.mark.parametrize("url", [COHORTS, EXPORT])
def test_strangers_are_sent_to_log_in(client, url):
    response = client.get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_page_query_count_does_not_grow_with_orders(client_for, manager, django_assert_num_queries):
    def add_orders():
        for offset in range(-5, 1):
            customer = CustomerFactory()
            order(customer, on(this_month(offset), 1))
            order(customer, datetime.now(UTC))

    add_orders()
    client = client_for(manager)
    client.get(COHORTS)  # warm the session
    # session, user, roles, the aggregation
    with django_assert_num_queries(4):
        client.get(COHORTS, {"refresh": "1"})
    add_orders()
    with django_assert_num_queries(4):
        client.get(COHORTS, {"refresh": "1"})
    # from the cache: session, user, roles
    with django_assert_num_queries(3):
        client.get(COHORTS)
