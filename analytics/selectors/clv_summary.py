"""The per-customer purchase summary the CLV models are fitted on, read by one aggregate query.

The rules (pinned by analytics/tests/test_clv_summary.py):
- counted orders: status paid, ordered up to and including the calibration end date (or the
  holdout end date, for the holdout column); an order's day is its calendar date in the
  CRM's time zone, and all of a customer's orders on one day are one purchase period;
- customers: everyone whose first purchase day is on or before the calibration end;
- frequency = purchase days after the first one; recency = last purchase day − first;
  T = calibration end − first purchase day (days, or days / 7 for weeks);
- monetary_value = the mean total of the repeat days (the first day left out), 0 without any;
- holdout_purchases = purchase days in (calibration end, holdout end].

The database groups orders by customer and day, then by customer (two hash aggregates); the customers' rows
stream into numpy arrays chunk by chunk (a server-side cursor on PostgreSQL).
"""

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from django.db import connection, transaction
from django.db.models import QuerySet, Sum
from django.db.models.functions import TruncDate
from numpy.typing import NDArray

from sales.models import Order

from ..btyd import UNIT_DAYS
from ..db import crm_midnight, crm_timezone

# Rows fetched per round trip while streaming the summary.
FETCH_ROWS = 50_000
# 2^40: a day's total in cents (below 11 billion) fits under it, so d·2^40 + cents orders by day first.
FIRST_DAY_KEY = 1 << 40
# Memory for the summary's two hash aggregates on PostgreSQL, for its transaction only (as RFM
# scoring): with the default 4 MB the per-day groups (one per customer and day) spill many times.
SUMMARY_WORK_MEM = "256MB"

# A day's offset from the calibration end (0 on it, negative before), per database.
DAY_OFFSET_SQL = {
    "postgresql": "(by_day.day - %s::date)",
    "sqlite": "CAST(julianday(by_day.day) - julianday(%s) AS INTEGER)",
}


class Cents(Sum):
    """SUM of a two-place decimal column in whole cents, an exact integer on both databases."""

    template = "CAST(SUM(%(expressions)s) * 100 AS BIGINT)"

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler, connection, template="SUM(CAST(ROUND(%(expressions)s * 100) AS INTEGER))", **extra_context
        )


@dataclass(frozen=True)
class PurchaseSummary:
    """One entry per customer, in customer id order; times in the summary's unit."""

    customer_id: NDArray[np.int64]
    frequency: NDArray[np.float64]
    recency: NDArray[np.float64]
    T: NDArray[np.float64]  # noqa: N815 - the literature's name for the customer's age
    monetary_value: NDArray[np.float64]
    holdout_purchases: NDArray[np.float64]  # zeros without a holdout end


def clv_purchase_summary(
    *, calibration_end: date, holdout_end: date | None = None, unit: str, customer_ids: tuple[int, int] | None = None
) -> PurchaseSummary:
    """The summary of every buyer, or of the customers with ids in the `customer_ids` range (benchmarks)."""
    orders = Order.objects.filter(status=Order.Status.PAID)
    if customer_ids is not None:
        orders = orders.filter(customer_id__gte=customer_ids[0], customer_id__lte=customer_ids[1])
    sql, params = _summary_sql(orders, calibration_end=calibration_end, last_day=holdout_end or calibration_end)
    # customer, repeat days, last − first day, calibration end − first day, repeat cents, holdout days
    table = _fetch_int_rows(sql, params, columns=6)
    customer_id, frequency, recency_days, age_days, repeat_cents, holdout = table.T
    per_unit = UNIT_DAYS[unit]
    with np.errstate(invalid="ignore", divide="ignore"):
        monetary = np.where(frequency > 0, repeat_cents / np.maximum(frequency, 1) / 100.0, 0.0)
    return PurchaseSummary(
        customer_id=customer_id.astype(np.int64),
        frequency=frequency.astype(np.float64),
        recency=recency_days / per_unit,
        T=age_days / per_unit,
        monetary_value=monetary.astype(np.float64),
        holdout_purchases=holdout.astype(np.float64),
    )


def _summary_sql(orders: QuerySet[Order], *, calibration_end: date, last_day: date) -> tuple[str, list]:
    by_day = (
        orders.filter(ordered_at__lt=crm_midnight(last_day + timedelta(days=1)))
        .order_by()
        .annotate(day=TruncDate("ordered_at", tzinfo=crm_timezone()))
        .values("customer_id", "day")
        .annotate(cents=Cents("total"))
        .values("customer_id", "day", "cents")
    )
    by_day_sql, by_day_params = by_day.query.sql_with_params()
    # d: the day's offset from the calibration end. The first day's total comes from MIN(d·2^40 + cents):
    # the smallest key is the first day's (a day's cents stay below 2^40), and its low bits are that
    # total. A window over each customer's days would make PostgreSQL sort all orders by customer,
    # and it chose to walk the customer index in random heap order for that: 41 s against 22 s at
    # 10M orders (EXPLAIN ANALYZE, see bench_clv).
    sql = f"""
        SELECT customer_id,
               SUM(CASE WHEN d <= 0 THEN 1 ELSE 0 END) - 1,
               MAX(CASE WHEN d <= 0 THEN d END) - MIN(d),
               -MIN(d),
               CAST(SUM(CASE WHEN d <= 0 THEN cents ELSE 0 END) - (MIN(d * {FIRST_DAY_KEY} + cents)
                    - MIN(d) * {FIRST_DAY_KEY}) AS BIGINT),
               SUM(CASE WHEN d > 0 THEN 1 ELSE 0 END)
        FROM (
            SELECT by_day.customer_id, {DAY_OFFSET_SQL[connection.vendor]} AS d, by_day.cents
            FROM ({by_day_sql}) by_day
        ) days
        GROUP BY customer_id
        HAVING MIN(d) <= 0
        ORDER BY customer_id
    """  # noqa: S608 - fixed SQL only; values are parameters
    return sql, [calibration_end.isoformat(), *by_day_params]


def _fetch_int_rows(sql: str, params: list, *, columns: int) -> NDArray[np.int64]:
    """The query's rows as one integer array, fetched in chunks (never a list of all rows)."""
    chunks = [np.empty((0, columns), dtype=np.int64)]
    with transaction.atomic(), connection.chunked_cursor() as cursor:
        if connection.vendor == "postgresql":
            # set_config(…, true) lasts for this transaction. A server-side cursor is planned for its
            # first 10% of rows (cursor_tuple_fraction), which made PostgreSQL walk the customer index
            # for rows already in order; the summary wants all of them, so plan for all.
            with connection.cursor() as settings_cursor:
                settings_cursor.execute(
                    "SELECT set_config('work_mem', %s, true), set_config('cursor_tuple_fraction', '1.0', true)",
                    [SUMMARY_WORK_MEM],
                )
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(FETCH_ROWS):
            chunks.append(np.array(rows, dtype=np.int64))
    return np.concatenate(chunks)
