"""The per-customer summary the CLV models are fitted on, pinned by hand-computed cases.

Calibration ends on March 10 (inclusive); days are calendar days in the CRM's time zone.
"""

from datetime import UTC, date, datetime

import numpy as np
import pytest
from django.test import override_settings

from analytics.selectors.clv_summary import clv_purchase_summary
from analytics.tests.helpers import order
from customers.tests.factories import CustomerFactory
from sales.models import Order

pytestmark = pytest.mark.django_db

END = date(2026, 3, 10)


def on(day: int, hour: int = 12, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def rows(unit: str = "days", calibration_end: date = END, holdout_end: date | None = None) -> dict[int, tuple]:
    """{customer id: (frequency, recency, T, monetary_value[, holdout purchases])}."""
    summary = clv_purchase_summary(calibration_end=calibration_end, holdout_end=holdout_end, unit=unit)
    columns = [summary.frequency, summary.recency, summary.T, summary.monetary_value]
    if holdout_end is not None:
        columns.append(summary.holdout_purchases)
    return {
        int(customer): tuple(float(column[i]) for column in columns) for i, customer in enumerate(summary.customer_id)
    }


def test_several_orders_on_one_day_are_one_purchase_period():
    customer = CustomerFactory()
    order(customer, on(1, 9), "10.00")
    order(customer, on(1, 17), "20.00")
    order(customer, on(5, 9), "30.00")
    order(customer, on(5, 10), "5.00")

    assert rows() == {customer.pk: (1, 4, 9, 35.0)}


def test_the_first_purchase_day_is_left_out_of_the_mean_repeat_value():
    customer = CustomerFactory()
    order(customer, on(1), "100.00")
    order(customer, on(3, 9), "10.00")
    order(customer, on(3, 18), "20.00")
    order(customer, on(8), "60.00")

    # repeat days: March 3 (30.00) and March 8 (60.00); March 1 is the first purchase day
    assert rows() == {customer.pk: (2, 7, 9, 45.0)}


def test_a_customer_without_repeat_days_has_zero_frequency_recency_and_value():
    customer = CustomerFactory()
    order(customer, on(2, 9), "70.00")
    order(customer, on(2, 11), "30.00")

    assert rows() == {customer.pk: (0, 0, 8, 0.0)}


def test_refunded_and_cancelled_orders_never_count():
    customer = CustomerFactory()
    order(customer, on(1), "10.00")
    order(customer, on(4), "40.00", status=Order.Status.REFUNDED)
    order(customer, on(6), "60.00", status=Order.Status.CANCELLED)
    refunded_only = CustomerFactory()
    order(refunded_only, on(2), status=Order.Status.REFUNDED)

    assert rows() == {customer.pk: (0, 0, 9, 0.0)}


def test_the_calibration_end_day_counts_and_the_day_after_does_not():
    customer = CustomerFactory()
    order(customer, on(1), "10.00")
    order(customer, on(10, 23, 59), "20.00")
    order(customer, on(11, 0, 0), "40.00")
    later = CustomerFactory()
    order(later, on(11, 0, 0))

    assert rows() == {customer.pk: (1, 9, 9, 20.0)}


@override_settings(TIME_ZONE="America/New_York")
def test_days_are_calendar_days_in_the_crm_time_zone():
    customer = CustomerFactory()
    # 14:00 UTC on March 9 and 03:30 UTC on March 10 are both March 9 in New York (UTC−4): one day.
    order(customer, on(9, 14), "10.00")
    order(customer, on(10, 3, 30), "15.00")
    # 03:30 UTC on March 11 is 23:30 on March 10 in New York: inside the calibration period.
    order(customer, on(11, 3, 30), "7.00")
    # 04:00 UTC on March 11 is midnight on March 11 in New York: after it.
    order(customer, on(11, 4, 0), "99.00")

    assert rows() == {customer.pk: (1, 1, 1, 7.0)}


def test_weeks_are_days_divided_by_seven():
    customer = CustomerFactory()
    order(customer, on(1), "10.00")
    order(customer, on(8), "20.00")

    assert rows("days") == {customer.pk: (1, 7, 9, 20.0)}
    frequency, recency, age, value = rows("weeks")[customer.pk]
    assert (frequency, recency, value) == (1, 1, 20.0)
    assert age == pytest.approx(9 / 7)


def test_the_holdout_counts_repeat_days_after_the_calibration_end_up_to_the_holdout_end():
    customer = CustomerFactory()
    order(customer, on(1), "10.00")
    order(customer, on(12, 9), "20.00")
    order(customer, on(12, 15), "20.00")  # same holdout day: one purchase
    order(customer, on(20, 23, 59), "20.00")  # the holdout end counts
    order(customer, on(21), "20.00")  # after it
    newcomer = CustomerFactory()
    order(newcomer, on(12))  # first bought in the holdout: not a calibration customer

    assert rows(holdout_end=date(2026, 3, 20)) == {customer.pk: (0, 0, 9, 0.0, 2)}


def test_the_summary_is_empty_without_orders():
    summary = clv_purchase_summary(calibration_end=END, unit="weeks")

    assert len(summary.customer_id) == 0
    assert summary.frequency.dtype == np.float64


def test_a_range_of_customer_ids_limits_the_summary():
    inside, outside = CustomerFactory(), CustomerFactory()
    order(inside, on(1))
    order(outside, on(1))

    summary = clv_purchase_summary(calibration_end=END, unit="days", customer_ids=(inside.pk, inside.pk))

    assert summary.customer_id.tolist() == [inside.pk]
