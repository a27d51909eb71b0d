"""RFM scoring, computed in the database by one INSERT … SELECT per run.

The rules (pinned by analytics/tests/test_scoring.py):
- counted orders: status paid, ordered before 00:00 of the as-of date in the
  CRM's time zone and, with a window of N days, on or after 00:00 of
  as-of − N days; an order's date is its calendar date in that zone;
- recency_days = as-of − date of the last counted order; frequency = number of
  counted orders; monetary = exact sum of their totals;
- each score = 1 + floor(5 × (r − 1) / N_scored), where r is the SQL RANK() of
  the customer ordered from worst to best, so ties share a score;
- the segment comes from RfmSegment rules on the two characters R+F.
"""

import time
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Max, Min, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from accounts.models import User
from crm_project.events import event_emit
from crm_project.fragments import bump_cache_version
from sales.models import Order

from ..db import ExactSum, crm_midnight, crm_timezone, crm_today
from ..models import RF_CELLS, RfmRun, RfmScore, RfmSegment
from ..signals import rfm_run_finished

Progress = Callable[[int, int], None]

# Memory for the scoring statement's hash table and sorts, on PostgreSQL, for its transaction only.
# A million customers' totals take about 500 MB of hash table (work_mem × hash_mem_multiplier 2)
# and each rank sort about 100 MB. With the default 4 MB the planner instead walks all orders
# through the customer_id index, in random heap order: 4-5 times slower (see bench_rfm).
SCORING_WORK_MEM = "256MB"

# Days between the as-of date and the customer's last order date, per database.
RECENCY_SQL = {
    "postgresql": "(%s::date - totals.last_date)",
    "sqlite": "CAST(julianday(%s) - julianday(totals.last_date) AS INTEGER)",
}


def rfm_cell_segments() -> dict[str, int | None]:
    """The segment id of each R+F cell: rules in order, a later match overriding an earlier one."""
    cells: dict[str, int | None] = dict.fromkeys(RF_CELLS)
    for segment in RfmSegment.objects.order_by("position", "pk"):
        for cell in RF_CELLS:
            if segment.matches(cell):
                cells[cell] = segment.pk
    return cells


def rfm_score_run(
    *,
    as_of: date | None = None,
    window_days: int | None = None,
    trigger: str = RfmRun.Trigger.COMMAND,
    actor: User | None = None,
    progress: Progress | None = None,
) -> RfmRun:
    """Score every customer with a counted order and store the run with its summary."""
    progress = progress or (lambda done, total: None)
    started = time.monotonic()
    with transaction.atomic():
        run = RfmRun.objects.create(
            as_of=as_of or crm_today(), window_days=window_days, trigger=trigger, triggered_by=actor
        )
        cells = rfm_cell_segments()
        _insert_scores(run, cells)
        progress(1, 3)
        _finish(run, cells, started)
        event_emit("rfm.run_completed", instance=run, actor=actor)
    rfm_run_finished.send(sender=RfmRun, run=run)
    progress(2, 3)
    rfm_prune_runs()
    progress(3, 3)
    return run


def _counted_orders(*, as_of: date, window_days: int | None):
    orders = Order.objects.filter(status=Order.Status.PAID, ordered_at__lt=crm_midnight(as_of))
    if window_days is not None:
        orders = orders.filter(ordered_at__gte=crm_midnight(as_of - timedelta(days=window_days)))
    return orders


def _customer_totals_sql(run: RfmRun) -> tuple[str, tuple]:
    """SQL of one row per scored customer: last order date, frequency, monetary."""
    totals = (
        _counted_orders(as_of=run.as_of, window_days=run.window_days)
        .order_by()
        .values("customer_id")
        .annotate(
            last_date=TruncDate(Max("ordered_at"), tzinfo=crm_timezone()),
            frequency=Count("pk"),
            monetary=ExactSum("total"),
        )
        .values("customer_id", "last_date", "frequency", "monetary")
    )
    return totals.query.sql_with_params()


def _insert_scores(run: RfmRun, cells: dict[str, int | None]) -> None:
    totals_sql, totals_params = _customer_totals_sql(run)
    segment_cases = [(int(cell), segment) for cell, segment in cells.items() if segment is not None]
    case_sql = " ".join("WHEN %s THEN %s" for _ in segment_cases)
    case_params = [value for pair in segment_cases for value in pair]
    score = "1 + 5 * (RANK() OVER (ORDER BY {order}) - 1) / COUNT(*) OVER ()"
    table = RfmScore._meta.db_table
    sql = f"""
        INSERT INTO {table}
            (run_id, customer_id, recency_days, frequency, monetary, r_score, f_score, m_score, segment_id)
        SELECT %s, customer_id, recency_days, frequency, monetary, r_score, f_score, m_score,
               {"CASE r_score * 10 + f_score " + case_sql + " END" if segment_cases else "NULL"}
        FROM (
            SELECT customer_id, recency_days, frequency, monetary,
                   {score.format(order="recency_days DESC")} AS r_score,
                   {score.format(order="frequency")} AS f_score,
                   {score.format(order="monetary")} AS m_score
            FROM (
                SELECT totals.customer_id, {RECENCY_SQL[connection.vendor]} AS recency_days,
                       totals.frequency, totals.monetary
                FROM ({totals_sql}) totals
            ) metrics
        ) scored
        ORDER BY customer_id
    """  # noqa: S608 - only table names and fixed SQL are formatted in; values are parameters
    # ORDER BY customer_id: rows arrive in primary-key order (run, customer), so the index is
    # appended to rather than split at random, and one run's rows lie together for the reads.
    params = [run.pk, *case_params, run.as_of.isoformat(), *totals_params]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT set_config('work_mem', %s, true)", [SCORING_WORK_MEM])
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            # Until autovacuum gets round to it, the statistics do not know the new run: the planner
            # takes it for one row and joins two runs (the movement report) by nested loop, minutes
            # instead of a second at a million customers. ANALYZE samples a fixed 30,000 rows (~1 s).
            cursor.execute(f"ANALYZE {table}")


def _finish(run: RfmRun, cells: dict[str, int | None], started: float) -> None:
    run.summary = _summary(run, cells)
    run.n_scored = sum(run.summary["cells"].values())
    run.finished_at = timezone.now()
    run.duration_ms = round((time.monotonic() - started) * 1000)
    run.save(update_fields=["summary", "n_scored", "finished_at", "duration_ms"])


def _summary(run: RfmRun, cells: dict[str, int | None]) -> dict:
    """Counts per R+F cell and figures per segment, so report pages never scan the scores."""
    groups = (
        RfmScore.objects.filter(run=run)
        .order_by()
        .values("r_score", "f_score", "segment_id")
        .annotate(
            customers=Count("*"), revenue=ExactSum("monetary"), orders=Sum("frequency"), recency=Sum("recency_days")
        )
    )
    names = dict(RfmSegment.objects.values_list("pk", "name"))
    cell_counts = dict.fromkeys(RF_CELLS, 0)
    segments: dict[str, dict] = {}
    for group in groups:
        cell_counts[f"{group['r_score']}{group['f_score']}"] += group["customers"]
        key = str(group["segment_id"] or "")
        figures = segments.setdefault(
            key, {"name": names.get(group["segment_id"], ""), "customers": 0, "revenue": "0", "orders": 0, "recency": 0}
        )
        figures["customers"] += group["customers"]
        figures["revenue"] = str(Decimal(figures["revenue"]) + _money(group["revenue"]))
        figures["orders"] += group["orders"]
        figures["recency"] += group["recency"]
    return {
        "cells": cell_counts,
        "cell_segments": {cell: segment for cell, segment in cells.items()},
        "segments": segments,
        "frequency_ranges": rfm_frequency_ranges(run),
    }


def rfm_frequency_ranges(run: RfmRun) -> dict[str, list[int]]:
    """{F score: [fewest, most orders]} of the run's scored customers. Tied frequencies
    share one rank, so a score can cover many customers or none at all."""
    rows = (
        RfmScore.objects.filter(run=run)
        .order_by()
        .values("f_score")
        .annotate(fewest=Min("frequency"), most=Max("frequency"))
    )
    return {str(row["f_score"]): [row["fewest"], row["most"]] for row in rows}


def _money(value) -> Decimal:
    return Decimal(value or 0).quantize(Decimal("0.01"))


def rfm_prune_runs(*, keep: int | None = None) -> int:
    """Drop the score rows of all but the latest `keep` runs (their summaries stay)."""
    keep = settings.RFM_KEEP_RUNS if keep is None else keep
    old = list(RfmRun.objects.filter(scores_kept=True).order_by("-pk").values_list("pk", flat=True)[keep:])
    for run_id in old:
        with transaction.atomic():
            RfmScore.objects.filter(run_id=run_id).delete()
            RfmRun.objects.filter(pk=run_id).update(scores_kept=False)
            bump_cache_version(RfmRun)  # the cached report shows whether a run's scores are kept
    return len(old)
