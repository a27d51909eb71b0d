"""Time segment refreshes at a million customers beside a floor, in the same run (issue 14: ≤ 10 s at 1M).

    DATABASE_URL=postgres://… python manage.py bench_segments --customers 1000000

N live customers "SEG-<n>" are made set-based (kept for the next run; `--fresh`
makes them again; the rules run over every customer in the database): five
countries, order figures (CustomerStats) for two in three, and, when no RFM run
has kept scores, a run whose scores are written directly (one RFM segment per
customer, round robin). Two dynamic segments are timed through
`segment_refresh`, the service beat and the pages use:
(a) country DE or FR, lifetime spend > 500, last order more than 90 days ago;
(b) RFM segment "At Risk" (or the first RFM segment).
Each gets (1) its first fill (a new segment: every member joins), (2) a refresh with
nothing changed, (3) a refresh after churn (5% of its members' customers change
country, as many others come in), each against the FLOOR of the same run: the rule's
matching ids written by one INSERT … SELECT into a temporary table without index or
constraint (the least a refresh must do: evaluate the rule and write the members).
Prints seconds, the ratio to the floor and the load average; the bench segments are
deleted afterwards, the customers kept. Never in production.
"""

import os
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from analytics.models import RfmRun, RfmScore, RfmSegment
from analytics.selectors.rfm import rfm_latest_kept_run_id
from crm_project.fragments import bump_cache_version
from customers.models import Customer
from marketing.models import Segment, SegmentMember
from marketing.selectors.segments import segment_queryset
from marketing.services import segments
from sales.models import CustomerStats

MARK = "SEG-"
NAME = "BENCH segment refresh"
COUNTRIES = ["DE", "FR", "GB", "TR", "US"]
CHURN = 0.05
BATCH = 10_000


def _pick(values: list[str], index_sql: str) -> str:
    cases = " ".join(f"WHEN {i} THEN '{value}'" for i, value in enumerate(values))
    return f"(CASE {index_sql} {cases} END)"


class Command(BaseCommand):
    help = "Time segment refreshes (first fill, unchanged, churn) at N customers beside a floor; PostgreSQL."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=1_000_000, help="Live customers (default 1,000,000).")
        parser.add_argument("--fresh", action="store_true", help="Make the SEG- customers again.")

    def handle(self, *args, customers, fresh, **options):
        if not settings.CRM_DEMO_DATA_ALLOWED:
            raise CommandError("Benchmarks write test data; they are disabled in these settings (production?).")
        if connection.vendor != "postgresql":
            raise CommandError("bench_segments measures PostgreSQL (set DATABASE_URL).")
        _delete_segments()
        started = time.monotonic()
        made = self._ensure_data(customers, fresh)
        total = Customer.objects.count()
        self.stdout.write(f"{total:,} live customers ({made:,} made) in {time.monotonic() - started:.1f} s.")
        run_id = rfm_latest_kept_run_id()
        at_risk = RfmSegment.objects.filter(name="At Risk").first() or RfmSegment.objects.order_by("pk").first()
        rules = {
            "spend": [
                {"field": "country", "op": "in", "value": "DE,FR"},
                {"field": "lifetime_spend", "op": "gt", "value": "500"},
                {"field": "days_since_last_order", "op": "gt", "value": "90"},
            ],
            "rfm": [{"field": "rfm_segment", "op": "eq", "value": at_risk.name}] if at_risk and run_id else [],
        }
        try:
            for label, rule_list in rules.items():
                if rule_list:
                    self._bench(label, {"match": "all", "rules": rule_list})
                else:
                    self.stdout.write(f"({label}) skipped: no kept RFM run or no RFM segment.")
        finally:
            _delete_segments()

    def _bench(self, label: str, rules: dict) -> None:
        segment = Segment.objects.create(name=f"{NAME} {label}", kind=Segment.Kind.DYNAMIC, rules=rules)
        # Each refresh is its own transaction: its time includes the COMMIT and the deferred foreign-key checks.
        fill = _timed(lambda: segments.segment_refresh(segment=segment))
        segment.refresh_from_db()
        self._line(f"({label}) first fill, {segment.member_count:,} members", fill, _floor(segment))
        unchanged = _timed(lambda: segments.segment_refresh(segment=segment))
        self._line(f"({label}) refresh, nothing changed", unchanged, _floor(segment))
        changed = _churn(segment)
        churn = _timed(lambda: segments.segment_refresh(segment=segment))
        _restore(changed)
        before = segment.member_count
        segment.refresh_from_db()
        self._line(
            f"({label}) refresh after churn ({len(changed[0]):,} changed out, {len(changed[1]):,} in; "
            f"{before:,} -> {segment.member_count:,} members)",
            churn,
            _floor(segment),
        )

    def _line(self, label: str, seconds: float, floor: float) -> None:
        self.stdout.write(
            f"{label}: {seconds:.2f} s (goal ≤ 10 s); floor {floor:.2f} s, ratio {seconds / floor:.1f}; "
            f"load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}."
        )

    def _ensure_data(self, customers: int, fresh: bool) -> int:
        if fresh:
            _delete_customers()
        missing = customers - Customer.objects.filter(external_ref__startswith=MARK).count()
        if missing > 0:
            _make_customers(missing)
        _analyze()
        return max(missing, 0)


def _timed(work) -> float:
    started = time.monotonic()
    work()
    return time.monotonic() - started


def _floor(segment: Segment) -> float:
    """The rule's matching ids into an unindexed temporary table, rolled back."""
    sql, params = segment_queryset(segment).order_by().values(member_id=F("pk")).query.sql_with_params()
    started = time.monotonic()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE bench_floor (segment_id bigint, customer_id bigint, joined_at timestamptz)"
        )
        cursor.execute(
            f"INSERT INTO bench_floor SELECT %s, q.member_id, %s FROM ({sql}) q",  # noqa: S608 - the ORM's SQL
            [segment.pk, timezone.now(), *params],
        )
        seconds = time.monotonic() - started
        transaction.set_rollback(True)
    return seconds


def _churn(segment: Segment) -> tuple[list[int], list[int]]:
    """Move 5% of the members out (their country becomes GB) and as many non-members in
    (DE, where the rest of the rule holds); returns the two id lists with their old countries."""
    members = SegmentMember.objects.filter(segment=segment, customer__external_ref__startswith=MARK)
    take = max(1, int(members.count() * CHURN))
    leaving = list(members.order_by("?").values_list("customer_id", flat=True)[:take])
    joining = list(
        Customer.objects.filter(external_ref__startswith=MARK, country="GB", stats__lifetime_spend__gt=500)
        .exclude(segment_memberships__segment=segment)
        .order_by("?")
        .values_list("pk", flat=True)[:take]
    )
    Customer.objects.filter(pk__in=leaving, country__in=["DE", "FR"]).update(country="NL")
    Customer.objects.filter(pk__in=joining).update(country="DE")
    if segment.rules["rules"][0]["field"] == "rfm_segment":  # the RFM segment moves by score rows instead
        _move_rfm(segment, leaving, joining)
    return leaving, joining


def _move_rfm(segment: Segment, leaving: list[int], joining: list[int]) -> None:
    run_id = rfm_latest_kept_run_id()
    wanted = RfmSegment.objects.get(name=segment.rules["rules"][0]["value"])
    other = RfmSegment.objects.exclude(pk=wanted.pk).order_by("pk").first()
    RfmScore.objects.filter(run_id=run_id, customer_id__in=leaving).update(segment=other)
    RfmScore.objects.filter(run_id=run_id, customer_id__in=joining).update(segment=wanted)


def _restore(changed: tuple[list[int], list[int]]) -> None:
    """Countries back as generated (n % 5), in one UPDATE; moved RFM rows stay moved (bench data too)."""
    table = connection.ops.quote_name(Customer._meta.db_table)
    country = _pick(COUNTRIES, f"(substr(external_ref, {len(MARK) + 1})::bigint %% {len(COUNTRIES)})")
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET country = {country} WHERE id = ANY(%s) AND external_ref LIKE %s",  # noqa: S608
            [[*changed[0], *changed[1]], MARK + "%"],
        )


@transaction.atomic
def _make_customers(count: int) -> None:
    """Customers SEG-<n> (bulk_create in batches), order figures for two in three, RFM scores if no run kept any."""
    start = Customer.all_objects.filter(external_ref__startswith=MARK).count() + 1  # numbered from 1
    for first in range(start, start + count, BATCH):
        Customer.objects.bulk_create(
            Customer(
                first_name=f"Seg{n}",
                last_name="Bench",
                email=f"bench{n}@example.com",
                country=COUNTRIES[n % len(COUNTRIES)],
                email_consent=Customer.Consent.OPTED_IN,
                external_ref=f"{MARK}{n}",
            )  # fmt: skip
            for n in range(first, min(first + BATCH, start + count))
        )
    q = connection.ops.quote_name
    customer, stats = q(Customer._meta.db_table), q(CustomerStats._meta.db_table)
    first_new = (
        f"SELECT id FROM {customer} c WHERE external_ref LIKE %s"  # noqa: S608
        f" AND NOT EXISTS (SELECT 1 FROM {stats} s WHERE s.customer_id = c.id)"
    )
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {stats} (customer_id, order_count, lifetime_spend, first_order_at, last_order_at) "  # noqa: S608
            "SELECT id, 1 + id %% 7, (id * 37) %% 1500, %s - (id %% 400 + 30) * interval '1 day', "
            f"%s - (id %% 400) * interval '1 day' FROM ({first_new}) c WHERE id %% 3 <> 0",
            [now, now, MARK + "%"],
        )
    if rfm_latest_kept_run_id() is None:
        _make_rfm_run(now)


def _make_rfm_run(now) -> None:
    rfm_segments = list(RfmSegment.objects.order_by("pk").values_list("pk", flat=True))
    if not rfm_segments:
        return
    run = RfmRun.objects.create(as_of=now.date(), finished_at=now, scores_kept=True)
    q = connection.ops.quote_name
    segment = _pick([str(pk) for pk in rfm_segments], f"customer_id %% {len(rfm_segments)}")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {q(RfmScore._meta.db_table)} (run_id, customer_id, recency_days, frequency, monetary, "  # noqa: S608
            "r_score, f_score, m_score, segment_id) "
            "SELECT %s, customer_id, 30, order_count, lifetime_spend, 1 + customer_id %% 5, 1 + customer_id / 5 %% 5, "
            f"1 + customer_id / 25 %% 5, {segment}::bigint FROM {q(CustomerStats._meta.db_table)}",
            [run.pk],
        )
    RfmRun.objects.filter(pk=run.pk).update(n_scored=RfmScore.objects.filter(run=run).count())
    bump_cache_version(RfmRun)


def _analyze() -> None:
    with connection.cursor() as cursor:
        for model in (Customer, CustomerStats, RfmScore, SegmentMember):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def _delete_segments() -> None:
    chosen = Segment.objects.filter(name__startswith=NAME)
    SegmentMember.objects.filter(segment__in=chosen)._raw_delete(using="default")
    chosen.delete()


def _delete_customers() -> None:
    people = Customer.all_objects.filter(external_ref__startswith=MARK)
    RfmScore.objects.filter(customer__in=people)._raw_delete(using="default")
    CustomerStats.objects.filter(customer__in=people)._raw_delete(using="default")
    SegmentMember.objects.filter(customer__in=people)._raw_delete(using="default")
    people._raw_delete(using="default")
