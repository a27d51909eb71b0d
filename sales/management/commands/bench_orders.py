"""Measure the order import: generate a CSV of N orders for existing customers and import it.

    DATABASE_URL=postgres://… python manage.py bench_orders              # 1,000,000 rows, 100,000 customers
    python manage.py bench_orders --rows 50000 --customers 5000

Customers "BENCH-000001"… are created first (set-based) when missing. Half of the rows
carry an order_ref ("BO-<n>"), so running the bench twice measures the upsert path:
the second run updates those and adds the others again (--fresh deletes the bench
customers' orders first, to measure a first load). Never in production.
"""

import csv
import random
import resource
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from crm_project.helpers import load_average
from customers.models import Customer
from imports import sql
from sales.models import Order, OrderLine
from sales.services.order_import import orders_import

REF = "BENCH-{:06d}"
BATCH = 5000


class Command(BaseCommand):
    help = "Generate N order rows for bench customers, import them (no dry run) and print rows/s and peak memory."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=1_000_000, help="Order rows to generate (default 1,000,000).")
        parser.add_argument("--customers", type=int, default=100_000, help="Bench customers (default 100,000).")
        parser.add_argument("--keep-file", action="store_true", help="Keep the generated CSV and print its path.")
        parser.add_argument(
            "--fresh", action="store_true", help="Delete the bench customers' orders first (measures a first load)."
        )

    def handle(self, *args, rows, customers, keep_file, fresh, **options):
        if not settings.CRM_DEMO_DATA_ALLOWED:
            raise CommandError("Benchmarks write test data; they are disabled in these settings (production?).")
        if rows <= 0 or customers <= 0:
            raise CommandError("--rows and --customers must be positive.")
        started = time.monotonic()
        created = self._ensure_customers(customers)
        self.stdout.write(f"Customers: {created} created, {customers} in all ({time.monotonic() - started:.1f} s).")
        if fresh:
            self.stdout.write(f"Deleted {_delete_bench_orders():,} bench orders.")
            sql.vacuum(Order)
        directory = tempfile.mkdtemp(prefix="bench-orders-")
        path = Path(directory) / "orders.csv"
        started = time.monotonic()
        self._write_csv(path, rows=rows, customers=customers)
        size = path.stat().st_size / 1024 / 1024
        self.stdout.write(f"Generated {rows:,} rows, {size:.0f} MB, in {time.monotonic() - started:.1f} s: {path}")
        # The floor is a first load: with the orders of an earlier run in place, its INSERT would collide.
        floor, floor_cpu = _floor(path) if connection.vendor == "postgresql" and fresh else (None, None)
        sql.vacuum(Order)  # the floor's rolled-back rows are dead rows the import would otherwise wade through
        memory_before = _peak_mb()
        try:
            started, cpu = time.perf_counter(), sql.cpu_seconds()
            with path.open("rb") as source:
                result = orders_import(source=source, filename=path.name, actor=None)
            seconds = time.perf_counter() - started
            import_cpu = sql.cpu_seconds_since(cpu)
        finally:
            if not keep_file:
                path.unlink()
                Path(directory).rmdir()
        self.stdout.write(
            f"Imported {result.total:,} rows in {result.seconds:.1f} s = {result.total / result.seconds:,.0f} rows/s "
            f"({result.created:,} created, {result.updated:,} updated, {result.bad_rows} bad) on "
            f"{_vendor()}; peak memory {_peak_mb():.0f} MB (before the import: {memory_before:.0f} MB)."
        )
        self.stdout.write(f"import {rows:,} orders (read, check, write): {seconds:.1f} s")
        if floor is not None:
            self.stdout.write(f"  floor (COPY + one INSERT … SELECT): {floor:.1f} s")
            self.stdout.write(f"  import / floor: {seconds / floor:.2f} x")
        if floor_cpu and import_cpu:
            self.stdout.write(
                f"  CPU seconds (this process + its database backend): import {import_cpu:.1f} s, "
                f"floor {floor_cpu:.1f} s: {import_cpu / floor_cpu:.2f} x (load average {load_average()})"
            )

    def _ensure_customers(self, count: int) -> int:
        existing = set(
            Customer.all_objects.filter(external_ref__startswith="BENCH-").values_list("external_ref", flat=True)
        )
        missing = [REF.format(number) for number in range(1, count + 1) if REF.format(number) not in existing]
        now = timezone.now()
        for start in range(0, len(missing), BATCH):
            Customer.objects.bulk_create(
                [
                    Customer(last_name=ref, external_ref=ref, source=Customer.Source.IMPORT, created_at=now)
                    for ref in missing[start : start + BATCH]
                ]
            )
        return len(missing)

    def _write_csv(self, path: Path, *, rows: int, customers: int) -> None:
        rng = random.Random(2024)  # noqa: S311 - test data
        now = timezone.now().replace(microsecond=0)
        with path.open("w", newline="", encoding="utf-8") as file:
            writer = csv.writer(file)
            writer.writerow(["customer_ref", "ordered_at", "total", "order_ref", "currency", "status"])
            for number in range(1, rows + 1):
                moment = now - timedelta(seconds=rng.randrange(2 * 365 * 86400))
                ordered_at = moment.date().isoformat() if number % 3 == 0 else moment.isoformat()
                status = rng.choices(("paid", "refunded", "cancelled"), weights=(92, 4, 4))[0]
                cents = rng.randrange(2000, 200_000)
                total = f"{'-' if status == 'refunded' else ''}{cents // 100}.{cents % 100:02d}"
                writer.writerow(
                    [
                        REF.format(rng.randrange(1, customers + 1)),
                        ordered_at,
                        total,
                        f"BO-{number}" if number % 2 else "",
                        "EUR",
                        status,
                    ]
                )


def _delete_bench_orders() -> int:
    """In SQL: Django's delete() would load every order (and a million of them take gigabytes)."""
    q = connection.ops.quote_name
    orders, lines, people = (q(model._meta.db_table) for model in (Order, OrderLine, Customer))
    bench = f"SELECT id FROM {people} WHERE external_ref LIKE %s"  # noqa: S608 - quoted model identifiers only
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {lines} WHERE order_id IN (SELECT id FROM {orders} WHERE customer_id IN ({bench}))",  # noqa: S608
            ["BENCH-%"],
        )
        cursor.execute(f"DELETE FROM {orders} WHERE customer_id IN ({bench})", ["BENCH-%"])  # noqa: S608
        return cursor.rowcount


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def _vendor() -> str:
    return connection.vendor


def _floor(path: Path) -> tuple[float, float | None]:
    """COPY the file into a staging table and INSERT … SELECT it into the orders table (joined to the
    customers by reference), its deferred foreign-key checks run, rolled back: what any import of
    this file must at least do."""
    now = timezone.now()
    started, cpu = time.perf_counter(), sql.cpu_seconds()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TEMP TABLE bench_floor (customer_ref text, ordered_at text, total text, order_ref text, "
                "currency text, status text) ON COMMIT DROP"
            )
            with path.open(encoding="utf-8") as source:
                sql.copy_from(
                    cursor,
                    "COPY bench_floor FROM STDIN WITH (FORMAT csv, HEADER true, FORCE_NOT_NULL (order_ref))",
                    source,
                )
        sql.insert_select(
            Order,
            values={
                "customer": "c.id",
                "order_ref": "s.order_ref",
                "ordered_at": "s.ordered_at::timestamptz",
                "status": "s.status",
                "currency": "s.currency",
                "total": "s.total::numeric",
                "source": "'import'",
            },  # fmt: skip
            source=f"bench_floor s JOIN {sql.quote(Customer._meta.db_table)} c ON c.external_ref = s.customer_ref",
            now=now,
        )
        sql.constraints_check_now()
        elapsed, used = time.perf_counter() - started, sql.cpu_seconds_since(cpu)
        transaction.set_rollback(True)
    return elapsed, used
