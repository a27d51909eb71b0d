"""Measure the customer list, search and duplicate finding at volume.

    python manage.py bench_customers --customers 100000 [--import-rows 100000]

Generates customers set-based in the configured database (marked with
external_ref "BENCH-C-…", removed afterwards unless --keep), then times the
queries the pages run. Then imports a file of --import-rows new contacts
through the import (kit read, checks, write) and, side by side on the same
file, the set-based floor: COPY into a staging table plus one INSERT … SELECT
into the real, fully indexed table (rolled back). Figures, not assertions:
see `make bench`.
"""

import csv
import random
import tempfile
import time
from pathlib import Path

from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.utils import timezone

from accounts import roles
from accounts.models import User
from accounts.selectors import team_for_owner
from crm_project.helpers import load_average, normalize_phone
from customers.models import Company, ConsentEvent, Customer, Interaction, Tag
from customers.selectors.customers import customer_list_for_user, customer_search
from customers.services import imports
from customers.timeline import IMPORT_CREATED
from imports import sql

LAST_NAMES = ["Smith", "Yilmaz", "Müller", "Kaya", "Garcia", "Martin", "Rossi", "Novak", "Demir", "Jansen"]
FIRST_NAMES = ["Ada", "Grace", "Alan", "Ayse", "Mehmet", "Anna", "Lukas", "Elif", "Marie", "Jan"]


class Command(BaseCommand):
    help = "Time the customer list, search and duplicate queries at volume."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=100_000)
        parser.add_argument("--keep", action="store_true", help="Keep the generated rows.")
        parser.add_argument("--import-rows", type=int, default=None, help="Contacts to import (default: --customers).")

    def handle(self, *args, customers, keep, import_rows, **options):
        rep = User.objects.filter(groups__name=roles.SALES_REP).order_by("pk").first()
        if rep is None:
            self.stderr.write("Run seed_demo first: the benchmark needs a sales rep.")
            return
        self._timed("generate", lambda: self._generate(customers, rep))
        try:
            self._measure(rep)
            self._measure_import(import_rows or customers)
        finally:
            if not keep:
                self._timed("clean up", self._clean_up)

    def _measure(self, rep):
        visible = customer_list_for_user(user=rep)
        self._timed("list: count visible (rep)", visible.count)
        self._timed("list: first page (rep)", lambda: list(visible.order_by("last_name", "first_name", "pk")[:25]))
        admin_list = Customer.objects.all().select_related("company", "owner").prefetch_related("tags")
        self._timed("list: first page (admin, all rows)", lambda: list(admin_list.order_by("last_name")[:25]))
        everyone = Customer.objects.all()
        self._timed("search 'yilm', 10% match (first page)", lambda: list(customer_search(visible, "yilm")[:25]))
        self._timed("search 'yilm', 10% match (count)", lambda: customer_search(everyone, "yilm").count())
        self._timed("search 'kaya123', rare (count)", lambda: customer_search(everyone, "kaya123").count())
        self._timed("search phone '4477' (count)", lambda: customer_search(everyone, "4477").count())
        self._report_plan()
        try:
            from customers.selectors.duplicates import duplicate_pairs_for_user
        except ImportError:
            return
        admin = User.objects.filter(is_superuser=True).first()
        if admin:
            self._timed("duplicates: first page of pairs (admin)", lambda: duplicate_pairs_for_user(user=admin))

    def _timed(self, label, work):
        started = time.perf_counter()
        result = work()
        elapsed = (time.perf_counter() - started) * 1000
        self.stdout.write(f"{label:<45} {elapsed:10.1f} ms")
        return result

    @transaction.atomic
    def _generate(self, count, rep):
        rng = random.Random(7)  # noqa: S311 - benchmark data
        team = team_for_owner(rep)
        companies = Company.objects.bulk_create(
            [Company(name=f"Bench Company {i}", owner=rep, team=team) for i in range(max(1, count // 10))],
            batch_size=5000,
        )
        batch = []
        for i in range(count):
            phone = f"+49 30 {rng.randint(1000000, 9999999)}"
            # Every 50th customer shares an email with the one before: duplicate pairs to find.
            email_index = i - 1 if i % 50 == 1 else i
            batch.append(
                Customer(
                    first_name=rng.choice(FIRST_NAMES),
                    last_name=f"{rng.choice(LAST_NAMES)}{i % 997}",
                    email=f"bench{email_index}@example.com",
                    phone=phone,
                    phone_normalized=normalize_phone(phone),
                    company=rng.choice(companies),
                    external_ref=f"BENCH-C-{i}",
                    owner=rep if i % 10 == 0 else None,
                    team=team if i % 10 == 0 else None,
                )
            )
            if len(batch) == 5000:
                Customer.objects.bulk_create(batch)
                batch = []
        Customer.objects.bulk_create(batch)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE customers_customer; ANALYZE customers_company")

    def _report_plan(self):
        if connection.vendor != "postgresql":
            self.stdout.write("(SQLite: substring search scans; trigram indexes exist on PostgreSQL only)")
            return
        sql, params = customer_search(Customer.objects.all(), "kaya123").values("pk").query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN " + sql, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        uses_index = "trgm" in plan
        self.stdout.write(f"rare-term search plan uses the trigram indexes: {'yes' if uses_index else 'NO'}")

    @transaction.atomic
    def _clean_up(self):
        _delete_imported()
        Customer.all_objects.filter(external_ref__startswith="BENCH-C-").delete()
        Company.all_objects.filter(name__startswith="Bench Company ").delete()

    # --- the import, beside its set-based floor ---------------------------------------------------
    def _measure_import(self, rows: int) -> None:
        with tempfile.TemporaryDirectory(prefix="bench-contacts-") as directory:
            path = Path(directory) / "contacts.csv"
            _write_contacts(path, rows)
            floor = floor_cpu = None
            if connection.vendor == "postgresql":
                _vacuum()  # the generated customers' index entries flushed first, not by the floor's inserts
                floor, floor_cpu = _floor(path)
                _vacuum()
            started, cpu = time.perf_counter(), sql.cpu_seconds()
            with path.open("rb") as source:  # open until imported: PostgreSQL COPYs a plain file as it is
                table = imports.import_table_read(source=source, filename=path.name, plain=True)
                read = time.perf_counter() - started
                result = imports.customers_import(table=table, mapping=imports.import_mapping_guess(table.headers, []),
                                                  actor=None)  # fmt: skip
            seconds, import_cpu = time.perf_counter() - started, sql.cpu_seconds_since(cpu)
        self.stdout.write(
            f"{'import ' + f'{rows:,}' + ' contacts (read, check, write)':<45} {seconds * 1000:10.1f} ms "
            f"(reading the file {read:.1f} s; {result.created:,} created, {result.bad_rows} bad)"
        )
        if floor is not None:
            self.stdout.write(f"{'  floor: COPY + one INSERT … SELECT per table':<45} {floor * 1000:10.1f} ms")
            self.stdout.write("  (the floor writes the customers and, like the import, their companies and tag links)")
            self.stdout.write(f"{'  import / floor':<45} {seconds / floor:10.2f} x")
        if import_cpu and floor_cpu:
            self.stdout.write(
                f"  CPU seconds (this process + its database backend): import {import_cpu:.1f} s, "
                f"floor {floor_cpu:.1f} s ({import_cpu / floor_cpu:.2f} x); load average {load_average()}"
            )


def _write_contacts(path: Path, rows: int) -> None:
    rng = random.Random(11)  # noqa: S311 - benchmark data
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["First name", "Last name", "Email", "Phone", "Company", "Tags", "ID", "Country"])
        for i in range(rows):
            writer.writerow([
                rng.choice(FIRST_NAMES), f"{rng.choice(LAST_NAMES)}{i % 997}", f"imported{i}@example.com",
                f"+49 30 {rng.randint(1000000, 9999999)}", f"Imported Company {i % 1000}",
                rng.choice(["vip", "newsletter", "vip, newsletter", ""]), f"IMP-{i}", "DE",
            ])  # fmt: skip


def _floor(path: Path) -> tuple[float, float | None]:
    """COPY the file into a staging table and INSERT … SELECT it into the real, fully indexed tables,
    their deferred foreign-key checks run, in a transaction that is rolled back: what any import of
    this file must at least do. That is the customers, and, as the import must, the companies the
    file names (created, then linked) and the tags (created when missing, then linked): each one
    INSERT … SELECT. No checks and no history: those are the import's own cost (its history is one
    timeline entry for the import, not a row per customer)."""
    now = timezone.now()
    q = sql.quote
    companies, tags = q(Company._meta.db_table), q(Tag._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [Customer._meta.db_table])
        sequence = cursor.fetchone()[0]
    started, cpu = time.perf_counter(), sql.cpu_seconds()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(  # the ids as COPY reads the rows, so the tag links can name their customers
                "CREATE TEMP TABLE bench_floor (id bigint DEFAULT nextval(%s::regclass), "
                "first_name text, last_name text, email text, phone text, company text, tags text, external_ref text, "
                "country text) ON COMMIT DROP",
                [sequence],
            )
            with path.open(encoding="utf-8") as source:
                sql.copy_from(
                    cursor,
                    "COPY bench_floor (first_name, last_name, email, phone, company, tags, external_ref, country) "
                    "FROM STDIN WITH (FORMAT csv, HEADER true)",
                    source,
                )
            cursor.execute("ANALYZE bench_floor")  # as the import does its staging tables: joins need the counts
        sql.insert_select(Company, values={"name": "s.company"}, now=now,
                          source="(SELECT DISTINCT company FROM bench_floor WHERE company <> '') s")  # fmt: skip
        missing = f"WHERE s.name <> '' AND NOT EXISTS (SELECT 1 FROM {tags} t WHERE t.name = s.name)"  # noqa: S608
        names = "(SELECT DISTINCT btrim(n) AS name FROM bench_floor, unnest(string_to_array(tags, ',')) n) s"
        sql.insert_select(Tag, values={"name": "s.name"}, source=names, now=now, suffix=missing)
        sql.insert_select(
            Customer,
            values={
                **{name: f"s.{name}" for name in ("id", "first_name", "last_name", "email", "phone", "external_ref")},
                "country": "s.country",
                "source": "'import'",
                "phone_normalized": "s.phone",
                "company": "c.id",
            },  # fmt: skip
            source=f"bench_floor s LEFT JOIN {companies} c ON c.name = s.company",
            now=now,
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {q(Customer.tags.through._meta.db_table)} (customer_id, tag_id) "  # noqa: S608 - quoted model identifiers only
                f"SELECT s.id, t.id FROM bench_floor s, unnest(string_to_array(s.tags, ',')) n "
                f"JOIN {tags} t ON t.name = btrim(n)"
            )
        sql.constraints_check_now()
        elapsed, used = time.perf_counter() - started, sql.cpu_seconds_since(cpu)
        transaction.set_rollback(True)
    return elapsed, used


def _vacuum() -> None:
    """Outside the timings: the next step starts from tables without the floor's rolled-back rows (dead
    entries their unique and trigram indexes would otherwise wade through)."""
    for model in (Customer, Customer.tags.through, Interaction, Company, Tag):
        sql.vacuum(model)


def _delete_imported() -> None:
    """In SQL: the imported contacts, their timeline, tags and consent, and their companies."""
    q = sql.quote
    customers = q(Customer._meta.db_table)
    imported = f"SELECT id FROM {customers} WHERE external_ref LIKE 'IMP-%%'"  # noqa: S608 - quoted model identifiers
    with connection.cursor() as cursor:
        for model, column in ((Interaction, "customer_id"), (ConsentEvent, "customer_id"),
                              (Customer.tags.through, "customer_id")):  # fmt: skip
            cursor.execute(f"DELETE FROM {q(model._meta.db_table)} WHERE {column} IN ({imported})", [])  # noqa: S608
        cursor.execute(  # the import's one entry for the customers it created, at their created_at
            f"DELETE FROM {q(Interaction._meta.db_table)} WHERE customer_id IS NULL AND action = %s "  # noqa: S608
            f"AND occurred_at IN (SELECT created_at FROM {customers} WHERE external_ref LIKE 'IMP-%%')",
            [IMPORT_CREATED],
        )
        cursor.execute(f"DELETE FROM {customers} WHERE external_ref LIKE 'IMP-%%'", [])  # noqa: S608
        company_ids = f"SELECT id FROM {q(Company._meta.db_table)} WHERE name LIKE 'Imported Company %%'"  # noqa: S608
        cursor.execute(f"DELETE FROM {q(Interaction._meta.db_table)} WHERE company_id IN ({company_ids})", [])  # noqa: S608
        cursor.execute(f"DELETE FROM {q(Company._meta.db_table)} WHERE name LIKE 'Imported Company %%'", [])  # noqa: S608
