"""Reads of the RFM report: runs, the grid and segment table, movement, exports and history.

The grid and the segment table come from the run's precomputed summary, so
the report costs the same few queries at a thousand or a million customers.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.core.cache import cache
from django.db import connection
from django.db.models import CharField, F, QuerySet, Value
from django.db.models.functions import Cast, Coalesce, NullIf
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from customers.models import Customer

from ..models import SCORES, RfmRun, RfmScore, RfmSegment

EXPORT_COLUMNS = ["customer_ref", "recency_days", "frequency", "monetary", "r_score", "f_score", "m_score", "segment"]
MOVEMENT_CACHE_SECONDS = 24 * 3600  # two runs' rows never change, only the segment names might


@dataclass
class GridCell:
    cell: str
    customers: int
    share: float
    segment: RfmSegment | None
    heat: int  # 0-100: how strongly the cell is coloured, relative to the fullest cell


@dataclass
class SegmentRow:
    segment: RfmSegment | None
    key: str
    name: str
    customers: int
    share: float
    revenue: Decimal
    revenue_share: float
    average_order_value: Decimal | None
    average_recency: float | None


@dataclass
class Movement:
    columns: list  # (key, label) pairs in segment order; key "" means "not scored" in that run
    rows: list  # (key, label, [(to key, customers), ...]) per from-segment
    changed: int  # customers scored in both runs whose segment changed
    top_changes: list  # (customers, from label, to label), largest first


def rfm_run_list() -> QuerySet[RfmRun]:
    return RfmRun.objects.select_related("triggered_by").defer("summary")


def rfm_run_get(run_id: int | str | None) -> RfmRun | None:
    """The chosen run, or the latest one; None before the first run."""
    if run_id:
        return get_object_or_404(RfmRun, pk=run_id)
    return RfmRun.objects.order_by("-pk").first()


def rfm_previous_run(run: RfmRun) -> RfmRun | None:
    """The kept run before `run`, to compare with."""
    return RfmRun.objects.filter(pk__lt=run.pk, scores_kept=True).order_by("-pk").first()


def rfm_latest_kept_run_id() -> int | None:
    return RfmRun.objects.filter(scores_kept=True).order_by("-pk").values_list("pk", flat=True).first()


def rfm_segments() -> dict[int, RfmSegment]:
    return {segment.pk: segment for segment in RfmSegment.objects.all()}


def rfm_grid(run: RfmRun, segments: dict[int, RfmSegment]) -> list[list[GridCell]]:
    """Rows R = 5 (top) to 1, columns F = 1 to 5, with counts and each cell's segment at that run."""
    counts, cell_segments = run.summary.get("cells", {}), run.summary.get("cell_segments", {})
    total = run.n_scored or 1
    fullest = max(counts.values(), default=0) or 1
    return [
        [
            GridCell(
                cell=f"{r}{f}",
                customers=counts.get(f"{r}{f}", 0),
                share=counts.get(f"{r}{f}", 0) / total,
                segment=segments.get(cell_segments.get(f"{r}{f}")),
                heat=round(100 * counts.get(f"{r}{f}", 0) / fullest),
            )
            for f in SCORES
        ]
        for r in reversed(SCORES)
    ]


@dataclass(frozen=True)
class FrequencyBand:
    """Which order counts one F score covers in a run (None: no customer got it)."""

    score: int
    fewest: int | None
    most: int | None


def rfm_frequency_bands(run: RfmRun) -> list[FrequencyBand] | None:
    """F1…F5 with their order counts; None for runs scored before the summary kept them."""
    ranges = run.summary.get("frequency_ranges")
    if ranges is None:
        return None
    bands = []
    for score in SCORES:
        fewest, most = ranges.get(str(score), (None, None))
        bands.append(FrequencyBand(score=score, fewest=fewest, most=most))
    return bands


@dataclass(frozen=True)
class SegmentSize:
    name: str
    color: str
    customers: int
    change: int | None  # since the run before; None when there is no earlier run


def rfm_segment_sizes(run: RfmRun | None) -> list[SegmentSize]:
    """The run's segments with how many customers each gained or lost since the run
    before it (a segment that emptied shows 0), from the runs' summaries."""
    if run is None:
        return []
    segments = rfm_segments()
    before = RfmRun.objects.filter(pk__lt=run.pk).order_by("-pk").first()
    now = rfm_segment_table(run, segments)
    earlier = {row.key: row for row in rfm_segment_table(before, segments)} if before else {}
    sizes = [
        SegmentSize(
            name=row.name,
            color=row.segment.color if row.segment else "",
            customers=row.customers,
            change=row.customers - (earlier[row.key].customers if row.key in earlier else 0) if before else None,
        )
        for row in now
    ]
    emptied = [row for key, row in earlier.items() if key not in {row.key for row in now}]
    sizes += [
        SegmentSize(name=row.name, color=row.segment.color if row.segment else "", customers=0, change=-row.customers)
        for row in emptied
    ]
    return sizes


def rfm_segment_table(run: RfmRun, segments: dict[int, RfmSegment]) -> list[SegmentRow]:
    figures = run.summary.get("segments", {})
    total_customers = run.n_scored or 1
    total_revenue = sum((Decimal(f["revenue"]) for f in figures.values()), Decimal(0)) or Decimal(1)
    rows = []
    for key, f in figures.items():
        segment = segments.get(int(key)) if key else None
        revenue = Decimal(f["revenue"])
        rows.append(
            SegmentRow(
                segment=segment,
                key=key,
                name=_segment_label(segment, f["name"], key),
                customers=f["customers"],
                share=f["customers"] / total_customers,
                revenue=revenue,
                revenue_share=float(revenue / total_revenue),
                average_order_value=(revenue / f["orders"]).quantize(Decimal("0.01")) if f["orders"] else None,
                average_recency=f["recency"] / f["customers"] if f["customers"] else None,
            )
        )
    order = {pk: index for index, pk in enumerate(segments)}
    return sorted(rows, key=lambda row: (order.get(row.segment.pk, 999) if row.segment else 1000, row.name))


def _segment_label(segment: RfmSegment | None, stored_name: str, key: str) -> str:
    if segment is not None:
        return segment.display_name
    return _(stored_name) if stored_name else (_("No segment") if not key else _("Deleted segment"))


def rfm_movement(from_run: RfmRun, to_run: RfmRun, segments: dict[int, RfmSegment]) -> Movement:
    """Customers per (segment in from_run, segment in to_run), including those scored in only one."""
    key = f"analytics:rfm-movement:{from_run.pk}:{to_run.pk}"
    counts = cache.get(key)
    if counts is None:
        counts = _movement_counts(from_run.pk, to_run.pk)
        cache.set(key, counts, MOVEMENT_CACHE_SECONDS)
    labels = [(str(pk), segment.display_name) for pk, segment in segments.items()]
    labels.append(("", _("Not scored")))
    matrix = {(str(a or ""), str(b or "")): n for a, b, n in counts}
    names = dict(labels)
    changes = sorted(
        ((n, names.get(a, "?"), names.get(b, "?")) for (a, b), n in matrix.items() if a and b and a != b),
        reverse=True,
    )
    return Movement(
        columns=labels,
        rows=[(key, label, [(to, matrix.get((key, to), 0)) for to, _label in labels]) for key, label in labels],
        changed=sum(n for n, _from, _to in changes),
        top_changes=changes[:5],
    )


def _movement_counts(from_run_id: int, to_run_id: int) -> list[tuple]:
    """One join of both runs' rows, plus the customers found in only one of them."""
    table = RfmScore._meta.db_table
    sql = f"""
        SELECT a.segment_id, b.segment_id, COUNT(*)
        FROM {table} a JOIN {table} b ON b.customer_id = a.customer_id AND b.run_id = %s
        WHERE a.run_id = %s GROUP BY a.segment_id, b.segment_id
        UNION ALL
        SELECT a.segment_id, NULL, COUNT(*) FROM {table} a
        WHERE a.run_id = %s
          AND NOT EXISTS (SELECT 1 FROM {table} b WHERE b.run_id = %s AND b.customer_id = a.customer_id)
        GROUP BY a.segment_id
        UNION ALL
        SELECT NULL, b.segment_id, COUNT(*) FROM {table} b
        WHERE b.run_id = %s
          AND NOT EXISTS (SELECT 1 FROM {table} a WHERE a.run_id = %s AND a.customer_id = b.customer_id)
        GROUP BY b.segment_id
    """  # noqa: S608 - the table name is ours; values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [to_run_id, from_run_id, from_run_id, to_run_id, to_run_id, from_run_id])
        return [tuple(row) for row in cursor.fetchall()]


# --- customers of a run -------------------------------------------------------------------
def rfm_scores_of(*, run_id: int, segment: str | None = None, cell: str | None = None) -> QuerySet[RfmScore]:
    """A run's score rows, narrowed to a segment id ("" for none) and/or an R+F cell like "15"."""
    scores = RfmScore.objects.filter(run_id=run_id)
    if segment is not None:
        scores = scores.filter(segment_id=int(segment)) if segment else scores.filter(segment__isnull=True)
    if cell:
        scores = scores.filter(r_score=int(cell[0]), f_score=int(cell[1]))
    return scores


def rfm_filter_customers(
    customers: QuerySet[Customer],
    *,
    run_id: int | None,
    segment: str | None,
    cell: str | None,
    from_run_id: int | None = None,
    from_segment: str | None = None,
) -> QuerySet[Customer]:
    """Customers of a run's segment or cell; with from_*, only those who were in from_segment before.

    from_segment "none" means customers the earlier run did not score.
    """
    if segment is None and cell is None:
        return customers
    run_id = run_id or rfm_latest_kept_run_id()
    if run_id is None or (cell is not None and not (len(cell) == 2 and cell.isdigit())):
        return customers.none()
    scores = rfm_scores_of(run_id=int(run_id), segment=segment, cell=cell)
    if from_run_id and from_segment == "none":
        scores = scores.exclude(customer_id__in=RfmScore.objects.filter(run_id=from_run_id).values("customer_id"))
    elif from_run_id and from_segment and from_segment.isdigit():
        earlier = rfm_scores_of(run_id=int(from_run_id), segment=from_segment)
        scores = scores.filter(customer_id__in=earlier.values("customer_id"))
    return customers.filter(pk__in=scores.values("customer_id"))


def rfm_export_rows(scores: QuerySet[RfmScore], *, user=None):
    """Rows for the CSV export, streamed; with a user, only customers that user may see."""
    if user is not None:
        scores = scores.filter(customer_id__in=Customer.objects.visible_to(user).values("pk"))
    reference = Coalesce(NullIf(F("customer__external_ref"), Value("")), Cast("customer_id", CharField()))
    rows = scores.annotate(customer_ref=reference, segment_name=Coalesce(F("segment__name"), Value(""))).order_by(
        "customer_id"
    )
    fields = ["customer_ref", "recency_days", "frequency", "monetary", "r_score", "f_score", "m_score"]
    yield from rows.values_list(*fields, "segment_name").iterator(chunk_size=5000)


def rfm_customer_history(customer: Customer) -> list[RfmScore]:
    """The customer's scores in every run that still keeps its rows, newest first."""
    return list(
        RfmScore.objects.filter(customer=customer, run__scores_kept=True)
        .select_related("run", "segment")
        .order_by("-run_id")
    )
