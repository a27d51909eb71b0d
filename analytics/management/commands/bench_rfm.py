"""Measure RFM scoring at volume: the full run against the bare aggregate it is built on.

    DATABASE_URL=postgres://… python manage.py bench_rfm --repeat 3   # 1,000,000 customers, 10,000,000 orders
    python manage.py bench_rfm --customers 2000 --orders 20000        # SQLite: small sizes only

Customers "RFM-0000001"… and their orders are generated set-based in the configured
database (generate_series on PostgreSQL, a recursive CTE on SQLite) and kept: the next
run skips generation when the numbers match (--fresh deletes and generates them again).
Orders spread over three years before now, skewed towards the first customers (a few
order thousands of times, most a handful), 90% paid, 40 price points (so frequencies
and sums tie), every third one without an order_ref. Values are hashes of the row
number, so the same numbers always give the same data.

Then, as of today: (a) the bare aggregate the scoring starts from, (b) full scoring runs
(scores, segments and summary written), (c) the movement join between the last two
runs, (d) the drill-down count of the largest segment, and pruning one run's score rows.
The runs timed prune nothing: earlier runs' score rows are pruned first, so that the
bench's own runs fit in RFM_KEEP_RUNS, and at the end all but the bench's latest runs.
Figures, not assertions: see `make bench`. Never in production.
"""

import resource
import statistics
import time
from collections.abc import Callable

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.models import Count, Max, Min, Sum
from django.utils import timezone

from analytics.db import crm_midnight, crm_today
from analytics.models import RfmRun, RfmScore
from analytics.services import rfm_prune_runs, rfm_score_run
from customers.models import Customer
from sales.models import Order, OrderLine

REF = "RFM-"
# Rows per INSERT statement (each its own transaction): bounds the deferred
# foreign-key checks PostgreSQL queues until commit.
CHUNK = 1_000_000
THREE_YEARS = 3 * 365 * 86400  # seconds
MULTIPLIERS = (2654435761, 2246822519, 3266489917, 668265263)

# The few pieces of SQL that differ per database. `uniform` is a number in [0, 1)
# that depends only on the row number n and a salt k.
SQL = {
    "postgresql": {
        "series": "generate_series(%s::bigint, %s::bigint) AS s(n)",
        # PostgreSQL's own 64-bit integer hash (the one hash partitioning uses).
        "uniform": "((hashint8extended(s.n, {k}) & 4294967295)::float8 / 4294967296)",
        "floor": "floor({x})::bigint",
        "ref": "'{ref}' || lpad(g.n::text, 7, '0')",
        "before": "%s::timestamptz - make_interval(secs => {seconds})",
    },
    "sqlite": {
        "series": (
            "(WITH RECURSIVE series(n) AS (SELECT %s UNION ALL SELECT n + 1 FROM series WHERE n < %s)"
            " SELECT n FROM series) AS s"
        ),
        # Multiplicative hashing, a different odd multiplier per salt: good enough at SQLite sizes.
        "uniform": "(((s.n * {multiplier}) %% 4294967296) / 4294967296.0)",
        "floor": "CAST({x} AS INTEGER)",
        "ref": "printf('{ref}%%07d', g.n)",
        "before": "datetime(%s, '-' || {seconds} || ' seconds')",
    },
}


class Command(BaseCommand):
    help = "Generate RFM bench data, then time the bare aggregate, full scoring runs and the report reads."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=1_000_000, help="Bench customers (default 1,000,000).")
        parser.add_argument("--orders", type=int, default=10_000_000, help="Bench orders (default 10,000,000).")
        parser.add_argument("--fresh", action="store_true", help="Delete and generate the bench data again.")
        parser.add_argument("--repeat", type=int, default=1, help="Time each measurement K times; print the median.")

    def handle(self, *args, customers, orders, fresh, repeat, **options):
        if not settings.CRM_DEMO_DATA_ALLOWED:
            raise CommandError("Benchmarks write test data; they are disabled in these settings (production?).")
        if customers <= 0 or orders <= 0 or repeat <= 0:
            raise CommandError("--customers, --orders and --repeat must be positive.")
        self._ensure_data(customers=customers, orders=orders, fresh=fresh)
        memory_before = _peak_mb()
        self._measure(repeat)
        self._line("peak RSS of this process", f"{_peak_mb():.0f} MB (before measuring: {memory_before:.0f} MB)")

    def _line(self, label: str, figure: str) -> None:
        self.stdout.write(f"{label:<48} {figure}")

    # --- the data ----------------------------------------------------------------------
    def _ensure_data(self, *, customers: int, orders: int, fresh: bool) -> None:
        if not fresh and _bench_counts() == (customers, orders):
            self._line("generation", f"skipped: {customers:,} customers and {orders:,} orders exist")
            return
        seconds, (deleted_orders, deleted_customers) = _timed(_delete_bench_data)
        self._line("deleted earlier bench data", f"{deleted_customers:,} customers, {deleted_orders:,} orders")
        people, first = _timed(lambda: _generate_customers(customers))
        sales = _timed(lambda: _generate_orders(orders, customers=customers, first=first))[0]
        analyze = _timed(lambda: _analyze([Customer, Order]))[0]
        self._line(
            "generation",
            f"{seconds + people + sales + analyze:.1f} s for {customers:,} customers and {orders:,} orders "
            f"on {connection.vendor} (delete {seconds:.1f} s, customers {people:.1f} s, orders {sales:.1f} s, "
            f"analyze {analyze:.1f} s)",
        )

    # --- the measurements --------------------------------------------------------------
    def _measure(self, repeat: int) -> None:
        as_of = crm_today()
        runs_needed = max(repeat, 2)  # the movement join needs two runs
        started = time.perf_counter()
        pruned = rfm_prune_runs(keep=max(0, settings.RFM_KEEP_RUNS - runs_needed))
        # With room for the bench's runs, the runs timed below prune nothing; pruning is timed on its own.
        self._line("pruned earlier runs before measuring", f"{pruned} in {time.perf_counter() - started:.1f} s")
        aggregate, full, phases, runs = [], [], [], []
        for attempt in range(runs_needed):  # interleaved, so both see the same cache state
            if attempt < repeat:
                aggregate.append(_timed(lambda: _bare_aggregate(as_of))[0])
            seconds, run, marks = _timed_run(as_of)
            full.append(seconds)
            phases.append(marks)
            runs.append(run)
        of = f"(median of {len(full)})"
        bare, whole = statistics.median(aggregate), statistics.median(full)
        self._line(f"(a) bare aggregate (median of {repeat})", f"{bare:.2f} s")
        insert, summary, prune = (statistics.median(phase) for phase in zip(*phases, strict=True))
        self._line(
            f"(b) full run {of}",
            f"{whole:.2f} s (insert {insert:.2f} s, summary and commit {summary:.2f} s, prune {prune:.2f} s)",
        )
        self._line("ratio full run / bare aggregate", f"{whole / bare:.2f}×" if bare else "-")
        counted = sum(figures["orders"] for figures in runs[-1].summary["segments"].values())
        self._line("N_scored", f"{runs[-1].n_scored:,} customers ({counted:,} counted orders)")
        self._measure_reads(runs[-2], runs[-1], repeat)
        self._measure_prune(runs[0])

    def _measure_reads(self, previous: RfmRun, latest: RfmRun, repeat: int) -> None:
        seconds, groups = _median_of(repeat, lambda: _movement(previous.pk, latest.pk))
        self._line("(c) movement join between two runs", f"{seconds:.2f} s ({groups} segment pairs)")
        segments = latest.summary["segments"]
        if not segments:
            self._line("(d) drill-down count", "- (nothing scored)")
            return
        key = max(segments, key=lambda k: segments[k]["customers"])
        members = RfmScore.objects.filter(run=latest, segment_id=key or None).values("customer_id")
        seconds, count = _median_of(repeat, lambda: Customer.objects.filter(pk__in=members).count())
        self._line(f"(d) drill-down count, {segments[key]['name'] or 'no segment'}", f"{seconds:.2f} s ({count:,})")

    def _measure_prune(self, first: RfmRun) -> None:
        """What each run's pruning costs once RFM_KEEP_RUNS runs exist: deleting one run's score rows."""
        newer = RfmRun.objects.filter(scores_kept=True, pk__gte=first.pk).count()
        rfm_prune_runs(keep=newer)  # runs older than this bench's first, untimed
        seconds = _timed(lambda: rfm_prune_runs(keep=newer - 1))[0]
        self._line("prune one run's score rows", f"{seconds:.2f} s ({first.n_scored:,} rows)")


def _timed(work: Callable):
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def _median_of(repeat: int, work: Callable):
    timings = [_timed(work) for _ in range(repeat)]
    return statistics.median(seconds for seconds, _result in timings), timings[-1][1]


def _timed_run(as_of) -> tuple[float, RfmRun, list[float]]:
    """One full scoring run, with the time of each phase from the service's progress calls."""
    marks = [time.perf_counter()]
    run = rfm_score_run(
        as_of=as_of, trigger=RfmRun.Trigger.COMMAND, progress=lambda done, total: marks.append(time.perf_counter())
    )
    phases = [later - earlier for earlier, later in zip(marks, marks[1:], strict=False)]
    return marks[-1] - marks[0], run, phases


def _bare_aggregate(as_of) -> tuple:
    """Per customer MAX(ordered_at), COUNT, SUM(total) of paid orders before as-of, computed but not shipped.

    The outer query uses every column: PostgreSQL replaces subquery outputs nobody
    reads with NULL, and would then skip computing MAX and SUM.
    """
    totals = (
        Order.objects.filter(status=Order.Status.PAID, ordered_at__lt=crm_midnight(as_of))
        .order_by()
        .values("customer_id")
        .annotate(last_at=Max("ordered_at"), frequency=Count("pk"), monetary=Sum("total"))
    )
    sql, params = totals.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*), SUM(frequency), SUM(monetary), MAX(last_at) FROM ({sql}) s", params)  # noqa: S608
        return cursor.fetchone()


def _movement(previous: int, latest: int) -> int:
    """The report's "moved from segment A to B" counts between two runs."""
    table = connection.ops.quote_name(RfmScore._meta.db_table)
    sql = f"""
        SELECT a.segment_id, b.segment_id, COUNT(*)
        FROM {table} a JOIN {table} b ON b.customer_id = a.customer_id AND b.run_id = %s
        WHERE a.run_id = %s GROUP BY 1, 2
    """  # noqa: S608 - a quoted table name only
    with connection.cursor() as cursor:
        cursor.execute(sql, [latest, previous])
        return len(cursor.fetchall())


# --- generating and deleting the data -----------------------------------------------------
def _bench_customers(ref: str = REF):
    return Customer.all_objects.filter(external_ref__startswith=ref)


def _bench_counts(ref: str = REF) -> tuple[int, int]:
    return _bench_customers(ref).count(), Order.objects.filter(customer__in=_bench_customers(ref)).count()


def _delete_bench_data(ref: str = REF) -> tuple[int, int]:
    """In SQL: Django's delete() would load every row (and ten million orders take gigabytes)."""
    q = connection.ops.quote_name
    orders, lines, people = (q(model._meta.db_table) for model in (Order, OrderLine, Customer))
    bench = f"SELECT id FROM {people} WHERE external_ref LIKE %s"  # noqa: S608 - quoted model identifiers only
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {lines} WHERE order_id IN (SELECT id FROM {orders} WHERE customer_id IN ({bench}))",  # noqa: S608
            [ref + "%"],
        )
        cursor.execute(f"DELETE FROM {orders} WHERE customer_id IN ({bench})", [ref + "%"])  # noqa: S608
        deleted_orders = cursor.rowcount
        cursor.execute(f"DELETE FROM {people} WHERE external_ref LIKE %s", [ref + "%"])  # noqa: S608
        return deleted_orders, cursor.rowcount


def _generate_customers(count: int, ref: str = REF) -> int:
    """Customers RFM-0000001… (or another prefix), with contiguous ids; returns the first id."""
    template = Customer(
        last_name=f"{ref.strip('-')} bench", source=Customer.Source.IMPORT, lifecycle_stage=Customer.Stage.CUSTOMER
    )
    _insert_series(template, {"external_ref": (SQL[connection.vendor]["ref"].format(ref=ref), [])}, rows=count)
    ids = _bench_customers(ref).aggregate(first=Min("pk"), last=Max("pk"))
    if ids["last"] - ids["first"] + 1 != count:
        raise CommandError("The bench customers' ids are not contiguous (someone else inserted customers?).")
    return ids["first"]


def _generate_orders(count: int, *, customers: int, first: int) -> None:
    """Orders in the order a live table gets them: by time, from random (skewed) customers."""
    sql = SQL[connection.vendor]
    now = timezone.now()
    u = [sql["uniform"].format(k=k, multiplier=MULTIPLIERS[k - 1]) for k in range(1, 5)]
    price = sql["floor"].format(x="40 * g.u4 * g.u4")  # 40 price points, cheap ones more often
    statuses = [Order.Status.PAID, Order.Status.REFUNDED, Order.Status.CANCELLED]
    generated: dict[str, tuple[str, list]] = {
        # u1² skews orders towards the first customers: customer 1 orders about orders/√customers times.
        "customer_id": (f"{first} + " + sql["floor"].format(x=f"{customers} * g.u1 * g.u1"), []),
        "order_ref": (f"CASE WHEN g.n %% 3 = 0 THEN '' ELSE '{REF}' || g.n END", []),
        # Evenly over three years up to now, later rows later (with a few seconds of jitter).
        "ordered_at": (
            sql["before"].format(seconds=sql["floor"].format(x=f"{THREE_YEARS} * ({count} - g.n + g.u2) / {count}")),
            [connection.ops.adapt_datetimefield_value(now)],
        ),
        "status": ("CASE WHEN g.u3 < 0.9 THEN %s WHEN g.u3 < 0.95 THEN %s ELSE %s END", statuses),
        "total": (f"(500 * (1 + {price}) - 1) / 100.0", []),
    }
    template = Order(source=Order.Source.IMPORT, ordered_at=now, created_at=now)
    _insert_series(template, generated, rows=count, uniforms=u)


def _insert_series(template, generated: dict[str, tuple[str, list]], *, rows: int, uniforms=()) -> None:
    """INSERT … SELECT one row per n = 1…rows: the template's values, with `generated` columns computed from n.

    The template gives every other column as bulk_create would write it (defaults, auto_now).
    """
    model = template._meta.model
    q = connection.ops.quote_name
    columns, values, params = [], [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(q(field.column))
        value_sql, value_params = generated.get(
            field.attname, ("%s", [field.get_db_prep_save(field.pre_save(template, add=True), connection)])
        )
        values.append(value_sql)
        params.extend(value_params)
    extra = "".join(f", {expression} AS u{k}" for k, expression in enumerate(uniforms, start=1))
    sql = f"""
        INSERT INTO {q(model._meta.db_table)} ({", ".join(columns)})
        SELECT {", ".join(values)} FROM (SELECT s.n{extra} FROM {SQL[connection.vendor]["series"]}) g
    """  # noqa: S608 - quoted model identifiers and fixed SQL only; values are parameters
    with connection.cursor() as cursor:
        for start in range(1, rows + 1, CHUNK):
            cursor.execute(sql, [*params, start, min(start + CHUNK - 1, rows)])


def _analyze(models) -> None:
    """Statistics for the planner. VACUUM also sets hint bits and the visibility map, as autovacuum
    would on a live table, so the first timed scan does not pay for them (it cannot run in a test's
    transaction, where ANALYZE alone does)."""
    if connection.vendor != "postgresql":
        return
    command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"{command} {connection.ops.quote_name(model._meta.db_table)}")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux
