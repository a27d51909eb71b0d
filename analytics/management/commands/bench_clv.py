"""Measure a CLV fit at volume: the summary query, each model's fit, the scores' predictions and writing.

    DATABASE_URL=postgres://… python manage.py bench_clv        # 1,000,000 customers, 10,000,000 orders
    python manage.py bench_clv --customers 2000 --orders 20000  # SQLite: small sizes only

Customers "CLV-0000001"… and their orders are generated set-based with bench_rfm's machinery
(generate_series on PostgreSQL, a recursive CTE on SQLite; values are hashes of the row number)
and kept: the same sizes reuse them, --fresh generates them again. bench_rfm's own orders do
not suit the models (every customer buys evenly over three years and spends alike, so the
likelihoods have no maximum): here each customer has a first day in the last three years, a
period of activity after it (about a third are still active), and a typical basket; the skew
of orders over customers is bench_rfm's. The runs fit the bench customers only (by their id
range), so bench_rfm's data may share the database.

Each run fits to today in the chosen unit and writes every customer's scores, as the weekly
job does. Every figure is printed with the 1-minute load average when it was taken: the
machine may be shared. Earlier runs'
scores are pruned first, so the timed runs delete nothing. Figures, not assertions: see
`make bench`. Never in production.
"""

import os
import resource
import statistics

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.models import Max, Min
from django.utils import timezone

from analytics.db import crm_today
from analytics.models import ClvRun
from analytics.services import clv
from customers.models import Customer
from sales.models import Order

from . import bench_rfm

REF = "CLV-"
# A number in [0, 1) from an integer expression x and a salt: per customer, not per order.
CUSTOMER_UNIFORM = {
    "postgresql": "((hashint8extended(({x})::bigint, {k}) & 4294967295)::float8 / 4294967296)",
    "sqlite": "((({x}) * {multiplier}) %% 4294967296) / 4294967296.0",
}
CENTS = {"postgresql": "round(({x})::numeric, 2)", "sqlite": "round({x}, 2)"}

# (timings key, label) in the order the run goes through them.
PHASES = [
    ("summary_s", "summary: one aggregate query, streamed"),
    ("bgnbd_s", "BG/NBD fit"),
    ("gamma_gamma_s", "Gamma-Gamma fit"),
    ("predict_s", "predictions (p_alive, purchases, value, CLV)"),
    ("write_s", "scores written (COPY / bulk insert)"),
]


class Command(BaseCommand):
    help = "Time a CLV fit and scoring run on bench_rfm's generated customers and orders."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=1_000_000, help="Bench customers (default 1,000,000).")
        parser.add_argument("--orders", type=int, default=10_000_000, help="Bench orders (default 10,000,000).")
        parser.add_argument("--fresh", action="store_true", help="Delete and generate the bench data again.")
        parser.add_argument("--unit", choices=ClvRun.Unit.values, default=ClvRun.Unit.WEEKS)
        parser.add_argument("--repeat", type=int, default=1, help="Run the fit K times; print the medians.")

    def handle(self, *args, customers, orders, fresh, unit, repeat, **options):
        if not settings.CRM_DEMO_DATA_ALLOWED:
            raise CommandError("Benchmarks write test data; they are disabled in these settings (production?).")
        if customers <= 0 or orders <= 0 or repeat <= 0:
            raise CommandError("--customers, --orders and --repeat must be positive.")
        self._ensure_data(customers=customers, orders=orders, fresh=fresh)
        clv.clv_prune_runs(keep=max(0, settings.CLV_KEEP_RUNS - repeat))
        memory_before = _peak_mb()
        ids = bench_rfm._bench_customers(REF).aggregate(first=Min("pk"), last=Max("pk"))
        runs, loads = [], []
        for _ in range(repeat):
            marks: list[float] = []

            def mark_load(done: int, total: int, marks: list[float] = marks) -> None:
                marks.append(_load())

            runs.append(
                clv.clv_fit_run(
                    calibration_end=crm_today(), unit=unit, progress=mark_load, customer_ids=(ids["first"], ids["last"])
                )
            )
            loads.append(marks)
        self._report(runs, loads)
        self._line("peak RSS of this process", f"{_peak_mb():.0f} MB (before fitting: {memory_before:.0f} MB)")

    def _line(self, label: str, figure: str, load: float | None = None) -> None:
        self.stdout.write(f"{label:<48} {figure}" + (f"   (load {load:.1f})" if load is not None else ""))

    def _ensure_data(self, *, customers: int, orders: int, fresh: bool) -> None:
        if not fresh and bench_rfm._bench_counts(REF) == (customers, orders):
            self._line("generation", f"skipped: {customers:,} customers and {orders:,} orders exist")
            return
        started = _load()
        seconds, (deleted_orders, deleted_customers) = bench_rfm._timed(lambda: bench_rfm._delete_bench_data(REF))
        self._line("deleted earlier bench data", f"{deleted_customers:,} customers, {deleted_orders:,} orders")
        people, first = bench_rfm._timed(lambda: bench_rfm._generate_customers(customers, REF))
        sales = bench_rfm._timed(lambda: _generate_orders(orders, customers=customers, first=first))[0]
        analyze = bench_rfm._timed(lambda: bench_rfm._analyze([Customer, Order]))[0]
        self._line(
            "generation",
            f"{seconds + people + sales + analyze:.1f} s for {customers:,} customers and {orders:,} orders "
            f"on {connection.vendor} (customers {people:.1f} s, orders {sales:.1f} s, analyze {analyze:.1f} s)",
            started,
        )

    def _report(self, runs: list[ClvRun], loads: list[list[float]]) -> None:
        of = f" (median of {len(runs)})" if len(runs) > 1 else ""
        latest = runs[-1]
        self._line("customers fitted", f"{latest.n_customers:,} ({latest.n_repeat:,} with repeat purchases)")
        # The progress marks: after the summary, each fit, the scores and pruning.
        load_after = {"summary_s": 0, "bgnbd_s": 1, "gamma_gamma_s": 2, "predict_s": 3, "write_s": 3}
        for key, label in PHASES:
            seconds = statistics.median(run.timings[key] for run in runs)
            self._line(label + of, f"{seconds:.2f} s", loads[-1][load_after[key]])
        total = statistics.median(run.duration_ms or 0 for run in runs) / 1000
        self._line("whole run: fit, score and store" + of, f"{total:.2f} s", loads[-1][3])
        self._line("peak memory inside the run", f"{latest.timings['peak_mb']} MB")
        bgnbd, spend = latest.bgnbd_params, latest.gamma_gamma_params
        self._line("BG/NBD parameters", ", ".join(f"{name} {value:.4g}" for name, value in bgnbd.items()))
        self._line("Gamma-Gamma parameters", ", ".join(f"{name} {value:.4g}" for name, value in spend.items()))


def _generate_orders(count: int, *, customers: int, first: int) -> None:
    """Orders from skewed customers (bench_rfm's u1²), each customer buying between its first
    day and the end of its active period, its orders' totals around its own typical basket."""
    sql, vendor = bench_rfm.SQL[connection.vendor], connection.vendor
    u = [sql["uniform"].format(k=k, multiplier=bench_rfm.MULTIPLIERS[k - 1]) for k in range(1, 5)]
    index = sql["floor"].format(x=f"{customers} * g.u1 * g.u1")

    def per_customer(k: int) -> str:
        return CUSTOMER_UNIFORM[vendor].format(x=index, k=k + 4, multiplier=bench_rfm.MULTIPLIERS[k - 1])

    age = f"({bench_rfm.THREE_YEARS} * (0.02 + 0.98 * {per_customer(1)}))"  # seconds since the first day
    active = f"(CASE WHEN {per_customer(2)} > 0.625 THEN 1 ELSE 1.6 * {per_customer(2)} END)"  # share of age
    basket = f"(10 + 190 * {per_customer(3)} * {per_customer(3)})"
    statuses = [Order.Status.PAID, Order.Status.REFUNDED, Order.Status.CANCELLED]
    generated: dict[str, tuple[str, list]] = {
        "customer_id": (f"{first} + {index}", []),
        "order_ref": (f"CASE WHEN g.n %% 3 = 0 THEN '' ELSE '{REF}' || g.n END", []),
        "ordered_at": (
            sql["before"].format(seconds=sql["floor"].format(x=f"{age} * (1 - {active} * g.u2)")),
            [connection.ops.adapt_datetimefield_value(timezone.now())],
        ),
        "status": ("CASE WHEN g.u3 < 0.9 THEN %s WHEN g.u3 < 0.95 THEN %s ELSE %s END", statuses),
        "total": (CENTS[vendor].format(x=f"{basket} * (0.5 + g.u4)"), []),
    }
    now = timezone.now()
    template = Order(source=Order.Source.IMPORT, ordered_at=now, created_at=now)
    bench_rfm._insert_series(template, generated, rows=count, uniforms=u)


def _load() -> float:
    return os.getloadavg()[0]


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux
