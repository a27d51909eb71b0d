"""Time the list pages at a million customers beside a bare page, in the same run.

    DATABASE_URL=postgres://… python manage.py bench_lists                # 1,000,000 customers
    python manage.py bench_lists --customers 5000 --rounds 5              # SQLite: small sizes only

Generates customers "BLIST-<n>" set-based (one INSERT … SELECT over a number
series; kept for the next run, --fresh makes them again): a hundred common last
names ("Smith" is one in a hundred, late in the alphabet, the case the planner
gets wrong), one in ten with a company, one in twenty tagged, one in 97 in the
bench manager's team, one order per three customers (scored once for the RFM
report) and a deal per fifty.

Then requests each page through Django's test Client, logged in, with the full
middleware stack (no gunicorn: on a shared 2-core box a single client is the
steadier measure), in interleaved rounds so that every page sees the same
machine, and prints each page's median beside the bare page's and the ratio of
their requests per second (goal: at least 0.5), twice:

- warm: no write between the requests. Pages whose content the fragment cache
  keeps (the customer list: crm_project.lists.CachedContentMixin; the pipeline
  board; the RFM report's body) are served from it: a list read again and again
  while nobody edits what it shows.
- after a write elsewhere: one bench customer that none of the pages shows is
  saved (untimed) before every request, so every cached customer list is stale.
  On PostgreSQL a stale list is checked by running its statements again
  (crm_project.fragments.Checks): same rows, same list, no FilterSet, table or
  template. This is a list in a busy CRM, where most writes are to rows a given
  page does not show. The board and the RFM report read no customer: they stay cached.
- after a write to a shown row: before every request a customer the page itself
  shows is renamed (a star added to or taken from the first name), so the page is
  drawn again: its queries, its table, its filter bar (the board and the RFM report
  show no customer: for them it is a write elsewhere). The cost of a list drawn
  fresh, as for a search never asked before.

The bare page is a minimal
logged-in view that lists 25 customers by name with an estimated count and a
one-line template; it is mounted for this command only (its own URLconf), never
in production.
"""

import re
import statistics
import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.http import HttpResponse
from django.template import engines
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import include, path

from accounts import roles
from accounts.models import Team, User
from analytics.db import crm_today
from analytics.models import RfmRun
from analytics.services import rfm_score_run
from customers.models import Company, Customer, Tag
from sales.models import Deal, Order
from sales.services.deals import pipeline_default

from .bench_search import _insert_series, _pick

MARK = "BLIST-"
LAST_NAMES = sorted(
    """Adams Allen Bailey Baker Barnes Bell Bennett Brooks Brown Bryant Butler Campbell Carter Clark Coleman
    Collins Cook Cooper Cox Davis Demir Diaz Edwards Evans Fisher Flores Foster Garcia Gomez Gonzalez Gray
    Green Griffin Hall Harris Hayes Henderson Hill Howard Hughes Jackson James Jansen Jenkins Johnson Jones
    Kaya Kelly King Lee Lewis Long Lopez Martin Martinez Miller Mitchell Moore Morgan Morris Murphy Myers
    Nelson Novak Parker Patterson Perez Perry Peterson Phillips Powell Price Ramirez Reed Richardson Rivera
    Roberts Robinson Rogers Ross Rossi Russell Sanchez Sanders Scott Smith Stewart Sullivan Taylor Thomas
    Thompson Torres Turner Walker Ward Watson White Williams Wilson Wood Yilmaz""".split()
)[:100]
FIRST_NAMES = ["Ada", "Grace", "Alan", "Ayse", "Mehmet", "Anna", "Lukas", "Elif", "Marie", "Jan"]
STAGES = [value for value, _label in Customer.Stage.choices]
COUNTRIES = ["DE", "TR", "GB", "FR", "NL", "US"]
TEAM_EVERY = 97  # one customer in 97 is in the bench manager's team (about 10,000 of a million)


def bare_page(request):
    """The floor: the same table's first 25 rows by name, an estimated count, a minimal template."""
    rows = list(
        Customer.objects.order_by("last_name", "first_name", "pk").values_list("pk", "first_name", "last_name")[:25]
    )
    template = engines["django"].from_string(
        "<!doctype html><title>bare</title><p>{{ total }}</p><table>{% for pk, first, last in rows %}"
        '<tr><td><a href="/customers/{{ pk }}/">{{ first }} {{ last }}</a></td></tr>{% endfor %}</table>'
    )
    return HttpResponse(template.render({"rows": rows, "total": _estimated_total()}, request))


def _estimated_total() -> int:
    if connection.vendor != "postgresql":
        return Customer.objects.count()
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [Customer._meta.db_table])
        return cursor.fetchone()[0]


# This command's own URLconf: the project's pages plus the bare page.
urlpatterns = [
    path("bench/bare/", login_required(bare_page), name="bench-bare"),
    path("", include("crm_project.urls")),
]


def add_bench_arguments(parser, *, rounds: int, per: str) -> None:
    """The arguments of the benches over bench_rows' customers (bench_lists, bench_api)."""
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument(
        "--rounds", type=int, default=rounds, help=f"Requests per {per} (default {rounds}), interleaved."
    )
    parser.add_argument("--fresh", action="store_true", help="Delete and generate the bench rows again.")


def check_bench_arguments(*, customers: int, rounds: int) -> None:
    if not settings.CRM_DEMO_DATA_ALLOWED:
        raise CommandError("Benchmarks write test data; they are disabled in these settings (production?).")
    if customers < 100 or rounds < 1:
        raise CommandError("--customers must be at least 100 and --rounds positive.")


def bench_rows(*, customers: int, fresh: bool, step: Callable[[str, Callable], None]) -> tuple[User, User]:
    """The bench admin and manager, and `customers` bench customers (made again when fresh or
    of another count), scored by RFM once. Shared with bench_api."""
    admin, manager = _bench_users()
    if fresh or Customer.all_objects.filter(external_ref__startswith=MARK).count() != customers:
        step("delete earlier bench rows", _clean_up)
        step(f"generate {customers:,} customers", lambda: _generate(customers, manager))
        step("score RFM once", lambda: rfm_score_run(as_of=crm_today(), trigger=RfmRun.Trigger.COMMAND))
    return admin, manager


class Command(BaseCommand):
    help = "Time the list pages (admin, manager scope, search, page 1000, board, RFM) against a bare page."

    def add_arguments(self, parser):
        add_bench_arguments(parser, rounds=15, per="page")

    def handle(self, *args, customers, rounds, fresh, **options):
        check_bench_arguments(customers=customers, rounds=rounds)
        admin, manager = bench_rows(customers=customers, fresh=fresh, step=self._step)
        # As production runs: DEBUG off, and so the template engine's debug mode (the engine
        # made for the system checks took DEBUG from the developer settings); the cached
        # template loader is Django's default in both.
        templates = [{**engine, "OPTIONS": {**_options(engine), "debug": False}} for engine in settings.TEMPLATES]
        with override_settings(ROOT_URLCONF=__name__, DEBUG=False, TEMPLATES=templates):
            self._measure(admin, manager, rounds)

    def _step(self, label: str, work: Callable) -> None:
        started = time.perf_counter()
        work()
        self.stdout.write(f"{label}: {time.perf_counter() - started:.1f} s")

    def _measure(self, admin: User, manager: User, rounds: int) -> None:
        clients = {}
        for user in (admin, manager):
            clients[user.username] = Client(HTTP_HOST=(settings.ALLOWED_HOSTS or ["localhost"])[0])
            clients[user.username].force_login(user)
        a, m = admin.username, manager.username
        pages = [
            ("bare page (admin)", a, "/bench/bare/"),
            ("/customers/ (admin)", a, "/customers/"),
            ("/customers/ (manager's team scope)", m, "/customers/"),
            ("/customers/?q=smith (admin)", a, "/customers/?q=smith"),
            ("/customers/?q=smith (manager)", m, "/customers/?q=smith"),
            ("/customers/?page=1000 (admin)", a, "/customers/?page=1000"),
            ("/customers/?page=1000&sort=-name (admin)", a, "/customers/?page=1000&sort=-name"),
            ("/sales/pipeline/ (admin)", a, "/sales/pipeline/"),
            ("/sales/pipeline/ (manager)", m, "/sales/pipeline/"),
            ("/analytics/rfm/ (admin)", a, "/analytics/rfm/"),
            ("/sales/orders/ (admin)", a, "/sales/orders/"),
            ("/sales/orders/ (manager)", m, "/sales/orders/"),
            ("/sales/deals/ (admin)", a, "/sales/deals/"),
            ("/sales/deals/ (manager)", m, "/sales/deals/"),
        ]
        for _label, username, url in pages:  # warm up: templates, caches, connections
            response = clients[username].get(url)
            if response.status_code != 200:
                raise CommandError(f"{url} as {username} answered {response.status_code}")
        elsewhere = _customer_shown_nowhere(pages, clients)
        shown = {label: _first_customer_shown(clients[username], url) or elsewhere for label, username, url in pages}
        for heading, writes in (
            ("warm (no write between requests)", {}),
            (
                "after a write elsewhere (a customer no page shows saved, untimed, before every request)",
                dict.fromkeys(shown, (elsewhere, "job_title")),
            ),
            (
                "after a write to a shown row (a customer the page shows renamed, untimed, before every request)",
                {label: (customer, "first_name") for label, customer in shown.items()},
            ),
        ):
            self._measure_pages(pages, clients, rounds, heading=heading, writes=writes)

    def _measure_pages(self, pages, clients, rounds: int, *, heading: str, writes: dict[str, tuple]) -> None:
        timings: dict[str, list[float]] = {label: [] for label, _user, _url in pages}
        # This process's CPU time per request: Django's own work, without PostgreSQL's or the
        # other programs' on a shared machine (steadier than the wall clock under load).
        cpu: dict[str, list[float]] = {label: [] for label, _user, _url in pages}
        for _round in range(rounds):
            for label, username, url in pages:
                if label in writes:
                    _touch(*writes[label])
                started, started_cpu = time.perf_counter(), time.process_time()
                clients[username].get(url)
                timings[label].append((time.perf_counter() - started) * 1000)
                cpu[label].append((time.process_time() - started_cpu) * 1000)
        sql = {}
        for label, username, url in pages:
            if label in writes:
                _touch(*writes[label])
            sql[label] = _sql_of(clients[username], url)
        bare = statistics.median(timings[pages[0][0]])
        bare_cpu = statistics.median(cpu[pages[0][0]])
        self.stdout.write(
            f"{heading}: list pages at {Customer.objects.count():,} customers on {connection.vendor}, "
            f"median of {rounds} requests each (Django test Client, logged in, DEBUG off; "
            "CPU: this process's, its ratio to the bare page's beside it; "
            "SQL: one more request's queries and their time):"
        )
        self.stdout.write(f"  {'page':<44} {'median':>9} {'req/s':>7} {'ratio':>6} {'CPU':>8} {'ratio':>6} {'SQL':>16}")
        for label, _user, _url in pages:
            median, median_cpu = statistics.median(timings[label]), statistics.median(cpu[label])
            ratio = bare / median
            flag = "" if ratio >= 0.5 else "  < 0.5"
            queries, seconds = sql[label]
            self.stdout.write(
                f"  {label:<44} {median:7.1f} ms {1000 / median:7.1f} {ratio:6.2f} "
                f"{median_cpu:5.1f} ms {bare_cpu / max(median_cpu, 0.001):6.2f} "
                f"{queries:3d} q {seconds * 1000:6.1f} ms{flag}"
            )


def _first_customer_shown(client: Client, url: str) -> Customer | None:
    """The first customer a page's table links to (None: it shows no customer)."""
    html = client.get(url).content.decode()
    body = html[html.find("<tbody") :]
    found = re.search(r'href="/customers/(\d+)/"', body)
    return Customer.objects.get(pk=int(found.group(1))) if found and "<tbody" in html else None


def _customer_shown_nowhere(pages, clients) -> Customer:
    """A bench customer none of the pages shows: among the first of them by id (names early in
    the alphabet but not the first, and outside the manager's team), the first no page links to."""
    pages_html = [clients[username].get(url).content.decode() for _label, username, url in pages]
    for customer in Customer.objects.filter(external_ref__startswith=MARK).order_by("pk")[:10]:
        link = f'href="/customers/{customer.pk}/"'
        if not any(link in html for html in pages_html):
            return customer
    raise CommandError("Every one of the first bench customers is shown on a page: run with --fresh.")


def _touch(customer: Customer, field: str) -> None:
    """A real write through the ORM, as an edit would make: every cached customer list is stale.
    The job title is shown by no page's rows (the customer list's only when there is no email,
    and every bench customer has one); a first name is, wherever the customer is."""
    if field == "job_title":
        customer.job_title = "Buyer" if customer.job_title != "Buyer" else ""
    else:
        name = customer.first_name
        customer.first_name = name[:-1] if name.endswith("*") else f"{name}*"
    customer.save(update_fields=[field])


def _options(engine: dict) -> dict:
    return dict(engine.get("OPTIONS", {}))


def _sql_of(client: Client, url: str) -> tuple[int, float]:
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return len(queries), sum(float(query["time"]) for query in queries.captured_queries)


def _bench_users() -> tuple[User, User]:
    admin, _created = User.objects.get_or_create(
        username="bench-lists-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    manager, _created = User.objects.get_or_create(username="bench-lists-manager", defaults={"first_name": "Bench"})
    manager.groups.set([Group.objects.get_or_create(name=roles.MANAGER)[0]])
    team, _created = Team.objects.get_or_create(name="Bench lists", defaults={"manager": manager})
    team.members.add(manager)
    return admin, manager


@transaction.atomic
def _generate(customers: int, manager: User) -> None:
    team_id = Team.objects.get(name="Bench lists").pk
    companies = max(1, customers // 100)
    _insert_series(Company, companies, {"name": f"'{MARK}Company ' || n"})
    first_company = Company.all_objects.filter(name__startswith=MARK).order_by("pk").values_list("pk", flat=True)[0]
    last_name = _pick(LAST_NAMES, f"n % {len(LAST_NAMES)}")
    first_name = _pick(FIRST_NAMES, f"(n / {len(LAST_NAMES)}) % {len(FIRST_NAMES)}")
    in_team = f"n % {TEAM_EVERY} = 5"
    _insert_series(
        Customer,
        customers,
        {
            "first_name": first_name,
            "last_name": last_name,
            "email": f"lower({first_name}) || '.' || lower({last_name}) || n || '@example.com'",
            "phone": "'+49 30 ' || (1000000 + n)",
            "phone_normalized": "'+4930' || (1000000 + n)",
            "job_title": "CASE WHEN n % 3 = 0 THEN 'Buyer' ELSE '' END",
            "lifecycle_stage": _pick(STAGES, f"n % {len(STAGES)}"),
            "country": _pick(COUNTRIES, f"n % {len(COUNTRIES)}"),
            "company_id": f"CASE WHEN n % 10 = 3 THEN {first_company} + (n / 10) % {companies} END",
            "external_ref": f"'{MARK}' || n",
            "owner_id": f"CASE WHEN {in_team} THEN {manager.pk} END",
            "team_id": f"CASE WHEN {in_team} THEN {team_id} END",
        },
    )
    first = Customer.all_objects.filter(external_ref__startswith=MARK).order_by("pk").values_list("pk", flat=True)[0]
    tag, _created = Tag.objects.get_or_create(name="bench", defaults={"color": "#0d6efd"})
    q = connection.ops.quote_name
    through = Customer.tags.through._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {q(through)} (customer_id, tag_id) SELECT id, %s FROM {q(Customer._meta.db_table)} "  # noqa: S608 - quoted model identifiers
            "WHERE external_ref LIKE %s AND id %% 20 = 0",
            [tag.pk, MARK + "%"],
        )
    _insert_series(
        Order,
        customers // 3,
        {
            "customer_id": f"{first} + (n - 1) * 3",
            "order_ref": f"'{MARK}' || n",
            "ordered_at": "%(now)s",
            "total": "n % 1000",
        },  # fmt: skip
    )
    pipeline = pipeline_default()
    stages = list(pipeline.stages.order_by("position").values_list("pk", flat=True))
    _insert_series(
        Deal,
        customers // 50,
        {
            "title": f"'Expansion – ' || {last_name}",
            "customer_id": f"{first} + (n - 1) * 50",
            "pipeline_id": str(pipeline.pk),
            "stage_id": _pick([str(pk) for pk in stages], f"n % {len(stages)}").replace("'", ""),
            "owner_id": f"CASE WHEN n % 5 = 0 THEN {manager.pk} END",
            "team_id": f"CASE WHEN n % 5 = 0 THEN {team_id} END",
        },
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in (Company, Customer, Order, Deal):
                cursor.execute(f"ANALYZE {q(model._meta.db_table)}")


def _clean_up() -> None:
    """In SQL, children first: Django's delete() would load every row."""
    from analytics.models import RfmScore

    q = connection.ops.quote_name
    people = f"SELECT id FROM {q(Customer._meta.db_table)} WHERE external_ref LIKE %s"  # noqa: S608
    with transaction.atomic(), connection.cursor() as cursor:
        for model in (RfmScore, Order, Deal, Customer.tags.through):
            cursor.execute(f"DELETE FROM {q(model._meta.db_table)} WHERE customer_id IN ({people})", [MARK + "%"])  # noqa: S608
        cursor.execute(f"DELETE FROM {q(Customer._meta.db_table)} WHERE external_ref LIKE %s", [MARK + "%"])  # noqa: S608
        cursor.execute(f"DELETE FROM {q(Company._meta.db_table)} WHERE name LIKE %s", [MARK + "%"])  # noqa: S608
