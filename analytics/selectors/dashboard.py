"""Reads for the managers' overview (/analytics/) and the cohort report (/analytics/cohorts/).

Company-wide figures (revenue, orders, cohorts, new vs returning customers) all
come from one set-based aggregation, `cohort_cells()`: per (cohort month, order
month), the customers who ordered, their orders and their revenue. A customer's
cohort is the month of their first paid order; months are calendar months in
the CRM's time zone. Only paid orders count. Every paid order counts towards
cohorts and customer counts; orders and revenue are in the CRM's currency
(settings.CRM_CURRENCY) only, since amounts in different currencies do not add up.
The result is small (months × months rows), cached for ten minutes and pivoted
in Python.

Pipeline and forecast figures come from the sales app's selectors, so they
follow the viewer's sales scope exactly as the board and the forecast page do.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Case, Count, DateField, F, Q, When
from django.db.models.functions import Trunc
from django.utils import timezone
from django.utils.translation import gettext

from sales.models import Deal, Order, Pipeline
from sales.selectors.deals import (
    BoardColumn,
    board_columns,
    board_deals,
    pipeline_choose,
    pipeline_list,
    pipeline_stages,
)
from sales.selectors.forecast import Forecast, ForecastScope, add_months, forecast_for

from ..db import ExactSum, crm_timezone
from ..models import RfmRun, RfmSegment

COHORT_CACHE_SECONDS = 10 * 60
COHORT_MONTH_CHOICES = (6, 12, 24)
COHORT_MONTHS_DEFAULT = 12
OVERVIEW_MONTHS = 12
RFM_HISTORY_RUNS = 8
# Segments a run's summary names but that no longer exist, and customers in no segment.
RFM_OTHER_COLOR = "#adb5bd"
ZERO = Decimal("0.00")
CENTS = Decimal("0.01")


# --- months ------------------------------------------------------------------------------
def months_between(start: date, end: date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month


def last_months(count: int, today: date) -> list[date]:
    """The `count` calendar months ending with today's (first days), oldest first."""
    current = today.replace(day=1)
    return [add_months(current, offset) for offset in range(1 - count, 1)]


def _as_month(value) -> date:
    """A month as the raw cursor returns it: a date, a datetime or (SQLite) text."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


# --- the one aggregation -------------------------------------------------------------------
@dataclass(frozen=True)
class CohortCell:
    """Customers of one cohort who ordered in one month, with their orders and revenue."""

    cohort: date
    month: date
    customers: int
    orders: int
    revenue: Decimal


@dataclass(frozen=True)
class CohortCells:
    computed_at: datetime
    cells: tuple[CohortCell, ...]

    def lookup(self) -> dict[tuple[date, date], CohortCell]:
        return {(cell.cohort, cell.month): cell for cell in self.cells}


def _customer_months_sql() -> tuple[str, tuple]:
    """SQL of one row per customer and month with a paid order: CRM-currency revenue and orders."""
    in_currency = Q(currency=settings.CRM_CURRENCY)
    rows = (
        Order.objects.filter(status=Order.Status.PAID)
        .annotate(order_month=Trunc("ordered_at", "month", output_field=DateField(), tzinfo=crm_timezone()))
        .order_by()
        .values("customer_id", "order_month")
        .annotate(
            revenue=ExactSum(Case(When(in_currency, then=F("total")))),
            order_count=Count("pk", filter=in_currency),
        )
        .values("customer_id", "order_month", "revenue", "order_count")
    )
    return rows.query.sql_with_params()


# Revenue is summed as whole cents: exact on PostgreSQL (numeric) and on SQLite,
# where ExactSum's per-customer sums are floats that round back to whole cents.
COHORT_SQL = """
    WITH customer_months AS ({customer_months}),
    cohorts AS (
        SELECT customer_id, MIN(order_month) AS cohort
        FROM customer_months
        GROUP BY customer_id
    )
    SELECT cohorts.cohort, customer_months.order_month, COUNT(*),
           SUM(customer_months.order_count), SUM(ROUND(customer_months.revenue * 100))
    FROM customer_months
    JOIN cohorts ON cohorts.customer_id = customer_months.customer_id
    GROUP BY cohorts.cohort, customer_months.order_month
"""


def cohort_cells_compute() -> tuple[CohortCell, ...]:
    """Run the aggregation: one row per (cohort month, order month) over all paid orders."""
    inner_sql, params = _customer_months_sql()
    sql = COHORT_SQL.format(customer_months=inner_sql)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    cells = (
        CohortCell(
            cohort=_as_month(cohort),
            month=_as_month(month),
            customers=customers,
            orders=int(orders or 0),
            revenue=(Decimal(int(cents or 0)) / 100).quantize(CENTS),
        )
        for cohort, month, customers, orders, cents in rows
    )
    return tuple(sorted(cells, key=lambda cell: (cell.cohort, cell.month)))


def _cache_key() -> str:
    return f"analytics:cohort-cells:v1:{settings.TIME_ZONE}:{settings.CRM_CURRENCY}"


def cohort_cells(*, refresh: bool = False) -> CohortCells:
    """The aggregation from the cache (ten minutes); refresh=True recomputes it."""
    key = _cache_key()
    result = None if refresh else cache.get(key)
    if result is None:
        result = CohortCells(computed_at=timezone.now(), cells=cohort_cells_compute())
        cache.set(key, result, COHORT_CACHE_SECONDS)
    return result


# --- the cohort report ---------------------------------------------------------------------
@dataclass(frozen=True)
class CohortMonth:
    months_since: int
    customers: int
    revenue: Decimal
    retention_pct: Decimal | None

    @property
    def shade(self) -> str:
        """Heatmap opacity for CSS, with a dot whatever the language."""
        return f"{(self.retention_pct or 0) / 100:.2f}"

    @property
    def dark(self) -> bool:
        return (self.retention_pct or 0) >= 60


@dataclass(frozen=True)
class CohortRow:
    cohort: date
    size: int
    months: list[CohortMonth]
    future_months: range  # the columns after the current month, left blank


@dataclass(frozen=True)
class CohortReport:
    computed_at: datetime
    columns: list[int]
    rows: list[CohortRow]


def cohort_report(*, data: CohortCells, months: int, today: date) -> CohortReport:
    """The last `months` cohorts (empty ones too), each up to the current month."""
    lookup = data.lookup()
    current = today.replace(day=1)
    rows = []
    for cohort in last_months(months, today):
        first = lookup.get((cohort, cohort))
        size = first.customers if first else 0
        cells = []
        for since in range(months_between(cohort, current) + 1):
            cell = lookup.get((cohort, add_months(cohort, since)))
            customers = cell.customers if cell else 0
            pct = (Decimal(customers * 100) / size).quantize(Decimal("0.1")) if size else None
            cells.append(CohortMonth(since, customers, cell.revenue if cell else ZERO, pct))
        rows.append(CohortRow(cohort=cohort, size=size, months=cells, future_months=range(len(cells), months)))
    return CohortReport(computed_at=data.computed_at, columns=list(range(months)), rows=rows)


# --- the overview --------------------------------------------------------------------------
@dataclass(frozen=True)
class MonthFigures:
    month: date
    revenue: Decimal = ZERO
    orders: int = 0
    new_customers: int = 0
    returning_customers: int = 0

    @property
    def average_order_value(self) -> Decimal | None:
        return (self.revenue / self.orders).quantize(CENTS) if self.orders else None


def monthly_figures(*, data: CohortCells, today: date, months: int = OVERVIEW_MONTHS) -> list[MonthFigures]:
    """Revenue, orders and new vs returning customers for each of the last `months` months.
    New: the month is the customer's first with a paid order; returning: an earlier one was."""
    totals: dict[date, dict[str, Any]] = {
        month: {"revenue": ZERO, "orders": 0, "new": 0, "returning": 0} for month in last_months(months, today)
    }
    for cell in data.cells:
        entry = totals.get(cell.month)
        if entry is None:
            continue
        entry["revenue"] += cell.revenue
        entry["orders"] += cell.orders
        entry["new" if cell.cohort == cell.month else "returning"] += cell.customers
    return [
        MonthFigures(month, entry["revenue"], entry["orders"], entry["new"], entry["returning"])
        for month, entry in totals.items()
    ]


@dataclass(frozen=True)
class PipelineStages:
    pipeline: Pipeline | None
    columns: list[BoardColumn]
    currency: str

    def amount(self, column: BoardColumn) -> Decimal:
        return dict(column.totals).get(self.currency, ZERO)


def pipeline_by_stage(*, user) -> PipelineStages:
    """Open deals per open stage of the default pipeline, as the viewer's board counts them."""
    pipeline = pipeline_choose(list(pipeline_list()), None)
    if pipeline is None:
        return PipelineStages(None, [], settings.CRM_CURRENCY)
    stages = [stage for stage in pipeline_stages(pipeline) if stage.is_open]
    deals = board_deals(user=user, pipeline=pipeline).filter(status=Deal.Status.OPEN)
    return PipelineStages(pipeline, board_columns(deals=deals, stages=stages), settings.CRM_CURRENCY)


def overview_forecast(*, user) -> Forecast:
    """The viewer's forecast for the next six months, in the CRM's currency."""
    return forecast_for(user=user, scope=ForecastScope(), currency=settings.CRM_CURRENCY)


# --- RFM segment sizes over the latest runs --------------------------------------------------
@dataclass(frozen=True)
class RfmSeries:
    name: str
    color: str
    customers: list[int]


@dataclass(frozen=True)
class RfmHistory:
    runs: list[RfmRun]
    series: list[RfmSeries]


def rfm_history(*, runs: int = RFM_HISTORY_RUNS) -> RfmHistory:
    """Customers per segment in each of the latest finished runs (oldest first), read from their
    summaries. Segments come in rule order; segments deleted since a run, then customers in no
    segment, come last in grey. Segments with no customers in any of the runs are left out."""
    latest = list(
        RfmRun.objects.filter(finished_at__isnull=False)
        .only("pk", "as_of", "n_scored", "summary")
        .order_by("-pk")[:runs]
    )
    latest.reverse()
    summaries = [run.summary.get("segments", {}) for run in latest]
    segments = list(RfmSegment.objects.order_by("position", "pk"))
    series = [_rfm_series(summaries, str(segment.pk), segment.display_name, segment.color) for segment in segments]
    current = {str(segment.pk) for segment in segments}
    deleted = sorted({key for summary in summaries for key in summary} - current - {""}, key=int)
    for key in deleted:
        name = next(summary[key].get("name") or key for summary in reversed(summaries) if key in summary)
        series.append(_rfm_series(summaries, key, name, RFM_OTHER_COLOR))
    series.append(_rfm_series(summaries, "", gettext("No segment"), RFM_OTHER_COLOR))
    return RfmHistory(runs=latest, series=[entry for entry in series if any(entry.customers)])


def _rfm_series(summaries: list[dict], key: str, name: str, color: str) -> RfmSeries:
    return RfmSeries(name, color, [int(summary.get(key, {}).get("customers", 0)) for summary in summaries])
