"""Time the top bar's typeahead (GET /search/suggest/?q=) at volume.

    DATABASE_URL=postgres://… python manage.py bench_search        # 100,000 customers, 1,000,000 orders
    python manage.py bench_search --customers 5000 --orders 50000 --runs 5

Generates its own rows set-based (INSERT … SELECT over a number series, so a
million orders take seconds, not the ORM's minutes): customers "BSEARCH-<n>"
with common last names (one in ten is an "Adams"), orders "SO-<n>", and one deal,
lead and task per ten customers. A sales rep owns one customer in a hundred.
Then it requests the dropdown through Django's test Client, logged in as that
rep and as an admin, for a mix of queries (names, an exact order reference, an
exact email, two characters, a deal title), and prints the median and p95 per
user. The rows are removed afterwards unless --keep. Never in production.
"""

import statistics
import time

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, models, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from accounts.models import Team, User
from customers.models import Customer
from sales.models import Deal, Lead, Order, Task
from sales.services.deals import pipeline_default

MARK = "BSEARCH-"
LEAD_DOMAIN = "@bsearch.example"
LAST_NAMES = ["Smith", "Yilmaz", "Adams", "Kaya", "Garcia", "Martin", "Rossi", "Novak", "Demir", "Jansen"]
FIRST_NAMES = ["Ada", "Grace", "Alan", "Ayse", "Mehmet", "Anna", "Lukas", "Elif", "Marie", "Jan"]
# Queries a person types into the top bar; "{customers}" and "{orders}" are filled in.
QUERIES = [
    "adams",  # a common name: one customer in ten
    "adams42",  # a rarer one
    "SO-{orders}",  # an exact order reference (and a prefix of nothing)
    "so-1234",  # the start of many references
    "bsearch77@example.com",  # an exact email
    "an",  # two characters: prefixes only
    "expansion yilmaz",  # a deal title, two words
    "zzqx",  # nothing at all
]


class Command(BaseCommand):
    help = "Time the search dropdown (median, p95) as a rep and as an admin at 100k customers and 1M orders."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=100_000)
        parser.add_argument("--orders", type=int, default=1_000_000)
        parser.add_argument("--runs", type=int, default=20, help="Requests per query and user (default 20).")
        parser.add_argument("--keep", action="store_true", help="Keep the generated rows (reused by the next run).")

    def handle(self, *args, customers, orders, runs, keep, **options):
        if not settings.CRM_DEMO_DATA_ALLOWED:
            raise CommandError("Benchmarks write test data; they are disabled in these settings (production?).")
        if customers < 10 or orders < 1 or runs < 1:
            raise CommandError("--customers must be at least 10, --orders and --runs positive.")
        rep, admin = _bench_users()
        if Customer.all_objects.filter(external_ref__startswith=MARK).count() != customers:
            self._step("clean up earlier rows", _clean_up)
            self._step(
                f"generate {customers:,} customers, {orders:,} orders", lambda: _generate(customers, orders, rep)
            )
        try:
            self._report_plans()
            for user in (rep, admin):
                self._measure(user, customers=customers, orders=orders, runs=runs)
        finally:
            if not keep:
                self._step("clean up", _clean_up)

    def _measure(self, user, *, customers: int, orders: int, runs: int) -> None:
        client = Client(HTTP_HOST=(settings.ALLOWED_HOSTS or ["localhost"])[0])
        client.force_login(user)
        url = reverse("search-suggest")
        timings: list[float] = []
        for template in QUERIES:
            query = template.format(customers=customers, orders=orders // 2)
            client.get(url, {"q": query})  # warm caches and the connection
            per_query = []
            for _run in range(runs):
                started = time.perf_counter()
                response = client.get(url, {"q": query})
                per_query.append((time.perf_counter() - started) * 1000)
                if response.status_code != 200:
                    raise CommandError(f"{url}?q={query} answered {response.status_code}")
            timings += per_query
            self.stdout.write(f"  {user.username:<12} {query!r:<26} median {statistics.median(per_query):7.1f} ms")
        p95 = statistics.quantiles(timings, n=20)[-1]
        self.stdout.write(
            f"typeahead as {user.username} ({len(timings)} requests, {connection.vendor}): "
            f"median {statistics.median(timings):.1f} ms, p95 {p95:.1f} ms"
        )

    def _report_plans(self) -> None:
        """Whether PostgreSQL answers the searched columns from their trigram indexes."""
        if connection.vendor != "postgresql":
            self.stdout.write("(SQLite: substring search scans; trigram indexes exist on PostgreSQL only)")
            return
        checks = {
            "order reference": Order.objects.filter(order_ref__icontains="SO-4242"),
            "order reference (exact)": Order.objects.filter(order_ref__iexact="SO-4242"),
            "deal title": Deal.objects.filter(title__icontains="adams42"),
            "lead name": Lead.objects.filter(last_name__icontains="adams42"),
            "customer name": Customer.objects.filter(last_name__istartswith="ad"),
        }
        for label, queryset in checks.items():
            sql, params = queryset.values("pk").query.sql_with_params()
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN " + sql, params)
                plan = "\n".join(row[0] for row in cursor.fetchall())
            self.stdout.write(
                f"plan for {label}: {'search index' if '_trgm' in plan or '_upper' in plan else 'NO index'}"
            )

    def _step(self, label, work) -> None:
        started = time.perf_counter()
        work()
        self.stdout.write(f"{label}: {time.perf_counter() - started:.1f} s")


def _bench_users() -> tuple[User, User]:
    rep, _created = User.objects.get_or_create(username="bench-search-rep", defaults={"first_name": "Bench"})
    rep.groups.set([Group.objects.get_or_create(name=roles.SALES_REP)[0]])
    team, _created = Team.objects.get_or_create(name="Bench search")
    team.members.add(rep)
    admin, _created = User.objects.get_or_create(
        username="bench-search-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    return rep, admin


@transaction.atomic
def _generate(customers: int, orders: int, rep: User) -> None:
    team_id = rep.teams.values_list("pk", flat=True).first()
    rep_owns = f"CASE WHEN n % 100 = 0 THEN {rep.pk} END"  # ids are integers from the database
    rep_team = f"CASE WHEN n % 100 = 0 THEN {team_id} END"
    last_name = f"{_pick(LAST_NAMES, 'n % 10')} || (n % 997)"
    _insert_series(
        Customer,
        customers,
        {
            "first_name": _pick(FIRST_NAMES, "(n / 10) % 10"),
            "last_name": last_name,
            "email": "'bsearch' || n || '@example.com'",
            "external_ref": f"'{MARK}' || n",
            "owner_id": rep_owns,
            "team_id": rep_team,
        },
    )
    first = Customer.all_objects.filter(external_ref__startswith=MARK).aggregate(models.Min("pk"))["pk__min"]
    customer_of = f"{first} + (n % {customers})"  # one INSERT: consecutive ids
    pipeline = pipeline_default()
    stage = pipeline.stages.order_by("position").first()
    if stage is None:
        raise CommandError("The default pipeline has no stages.")
    _insert_series(
        Order,
        orders,
        {"customer_id": customer_of, "order_ref": "'SO-' || n", "ordered_at": "%(now)s", "total": "n % 1000"},
    )
    related = customers // 10
    _insert_series(
        Deal,
        related,
        {
            "title": f"'Expansion – ' || {last_name}",
            "customer_id": f"{first} + (n - 1) * 10",
            "pipeline_id": str(pipeline.pk),
            "stage_id": str(stage.pk),
            "owner_id": rep_owns,
            "team_id": rep_team,
        },
    )
    _insert_series(
        Lead,
        related,
        {"last_name": last_name, "email": f"'lead' || n || '{LEAD_DOMAIN}'", "owner_id": rep_owns},
    )
    _insert_series(
        Task,
        related,
        {
            "title": f"'Call ' || {last_name}",
            "due_at": "%(now)s",
            "customer_id": f"{first} + (n - 1) * 10",
            "owner_id": rep_owns,
        },
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in (Customer, Order, Deal, Lead, Task):
                cursor.execute(f"ANALYZE {model._meta.db_table}")


def _pick(values: list[str], index_sql: str) -> str:
    cases = " ".join(f"WHEN {i} THEN '{value}'" for i, value in enumerate(values))
    return f"(CASE {index_sql} {cases} END)"


def _insert_series(model: type[models.Model], count: int, columns: dict[str, str]) -> None:
    """INSERT count rows in one statement: `columns` are SQL over the row number n
    (our own constants only); every other column gets the field's default."""
    names, expressions, params = [], [], []
    now = timezone.now()
    for field in model._meta.concrete_fields:
        if field.primary_key or field.column is None or field.generated:
            continue  # the database computes generated columns (Ticket.sla_next_due)
        names.append(connection.ops.quote_name(field.column))
        if field.column in columns:
            # "%" is the placeholder character of both backends' cursors: a modulo is "%%".
            expression = columns[field.column].replace("%", "%%")
            if "%%(now)s" in expression:
                params.append(now)
            expressions.append(expression.replace("%%(now)s", "%s"))
            continue
        value = (
            now if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False) else field.get_default()
        )
        expressions.append("%s")
        params.append(field.get_db_prep_save(value, connection))
    if connection.vendor == "postgresql":
        series, tail = "", "FROM generate_series(1, %s) AS s(n)"
    else:
        series, tail = "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < %s) ", "FROM s"
    table = connection.ops.quote_name(model._meta.db_table)
    sql = f"{series}INSERT INTO {table} ({', '.join(names)}) SELECT {', '.join(expressions)} {tail}"  # noqa: S608 - our own identifiers and constants
    with connection.cursor() as cursor:
        cursor.execute(sql, [count, *params] if series else [*params, count])


def _clean_up() -> None:
    """In SQL, children first: Django's delete() would load a million orders."""
    q = connection.ops.quote_name
    people = f"SELECT id FROM {q(Customer._meta.db_table)} WHERE external_ref LIKE %s"  # noqa: S608
    with transaction.atomic(), connection.cursor() as cursor:
        for model in (Task, Order, Deal):
            cursor.execute(f"DELETE FROM {q(model._meta.db_table)} WHERE customer_id IN ({people})", [MARK + "%"])  # noqa: S608
        cursor.execute(f"DELETE FROM {q(Lead._meta.db_table)} WHERE email LIKE %s", ["%" + LEAD_DOMAIN])  # noqa: S608
        cursor.execute(f"DELETE FROM {q(Customer._meta.db_table)} WHERE external_ref LIKE %s", [MARK + "%"])  # noqa: S608
