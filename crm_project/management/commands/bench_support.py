"""Time the support queue page and an escalation pass at volume.

    DATABASE_URL=postgres://… python manage.py bench_support --tickets 100000
    python manage.py bench_support --tickets 2000 --rounds 5          # SQLite: small sizes only

Generates, set-based (one INSERT … SELECT per table over a number series:
generate_series on PostgreSQL, a recursive CTE on SQLite), N tickets in the
queue "bench-support" (round the clock, a team with a manager, one agent who is
its member): one customer per four tickets, every status (about 60% unsolved),
every priority, a third assigned to the agent, created over the last 30 days
with one-hour first-response and eight-hour resolution targets, so most unsolved
tickets have breached; two messages and an event per ticket. The rows are kept
for the next run with the same N (--fresh makes them again).

Then requests the queue page (support:ticket-list, or the support home while
the list does not exist) through Django's test Client logged in as the agent,
and prints its median, p95 and query count; and runs one escalation pass with
three bench rules (notify, raise the priority, reassign) after clearing their
earlier firings, printing its time, statements and firings, then a second,
idle pass. Goals on PostgreSQL: the page at most 15 queries and under 150 ms
median at 100,000 tickets; the pass under 5 s with a statement count that does
not depend on the number of breaches. Figures, not assertions. Never in production.
"""

import statistics
import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, models, transaction
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from accounts import roles
from accounts.models import Notification, Team, User
from customers.models import Customer
from support.models import PRIORITY_ORDER, Queue, SlaRule, SlaRuleFiring, Ticket, TicketEvent, TicketMessage
from support.services.escalation import sla_escalate

from .bench_search import _insert_series, _pick

MARK = "BSUP-"
SLUG = "bench-support"
DAYS = 30
# status by n % 10: six unsolved in ten
STATUS_BY_N = ["new", "open", "open", "pending", "on_hold", "open", "solved", "solved", "closed", "solved"]
PAGES = ("support:ticket-list", "support:home")


class Command(BaseCommand):
    help = "Time the support queue page and an SLA escalation pass at N tickets (set-based test data)."

    def add_arguments(self, parser):
        parser.add_argument("--tickets", type=int, default=100_000)
        parser.add_argument("--rounds", type=int, default=20, help="Requests of the queue page (default 20).")
        parser.add_argument("--fresh", action="store_true", help="Delete and generate the bench rows again.")

    def handle(self, *args, tickets, rounds, fresh, **options):
        if not settings.CRM_DEMO_DATA_ALLOWED:
            raise CommandError("Benchmarks write test data; they are disabled in these settings (production?).")
        if tickets < 10 or rounds < 1:
            raise CommandError("--tickets must be at least 10 and --rounds positive.")
        agent, queue = _bench_setup()
        if fresh or Ticket.objects.filter(queue=queue).count() != tickets:
            self._step("delete earlier bench rows", lambda: _clean_up(queue))
            self._step(f"generate {tickets:,} tickets with messages and events", lambda: _generate(tickets, queue))
        self.stdout.write(f"{Ticket.objects.count():,} tickets in all on {connection.vendor}")
        with override_settings(DEBUG=False):
            self._measure_page(agent, rounds)
        self._measure_escalation(queue, agent)

    def _step(self, label: str, work: Callable) -> None:
        started = time.perf_counter()
        work()
        self.stdout.write(f"{label}: {time.perf_counter() - started:.1f} s")

    def _measure_page(self, agent: User, rounds: int) -> None:
        url = _queue_page_url()
        if url is None:
            self.stdout.write("queue page: skipped (neither support:ticket-list nor support:home is routed yet)")
            return
        client = Client(HTTP_HOST=(settings.ALLOWED_HOSTS or ["localhost"])[0])
        client.force_login(agent)
        response = client.get(url)  # warm up: templates, caches, connections
        if response.status_code != 200:
            raise CommandError(f"{url} answered {response.status_code}")
        timings = []
        for _round in range(rounds):
            started = time.perf_counter()
            client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        p95 = statistics.quantiles(timings, n=20)[-1] if len(timings) > 1 else timings[0]
        flags = "" if len(queries) <= 15 else "  (more than 15 queries)"
        self.stdout.write(
            f"queue page {url} as a member agent, {rounds} requests (test Client, logged in, DEBUG off): "
            f"median {statistics.median(timings):.1f} ms, p95 {p95:.1f} ms, {len(queries)} queries{flags}"
        )

    def _measure_escalation(self, queue: Queue, agent: User) -> None:
        _bench_rules(queue, agent)
        SlaRuleFiring.objects.filter(rule__name__startswith="Bench:").delete()
        Notification.objects.filter(user__username__startswith="bench-support-").delete()
        first = None
        for label in ("escalation pass", "second pass (nothing new)"):
            started = time.perf_counter()
            with CaptureQueriesContext(connection) as queries:
                counts = sla_escalate()
            seconds = time.perf_counter() - started
            first = first or counts
            self.stdout.write(
                f"{label}: {seconds:.2f} s, {len(queries)} statements for {counts['rules']} rules; "
                f"{counts['fired']:,} firings ({counts['notified']:,} notifications, "
                f"{counts['reassigned']:,} reassigned, {counts['raised']:,} priorities raised)"
            )
        if first and first["fired"]:
            seconds = _escalation_floor(queue, agent, fired=first["fired"], notified=first["notified"])
            self.stdout.write(
                f"floor in the same run: {seconds:.2f} s to write as many firings, events and notifications "
                "with plain INSERTs and check their foreign keys (rolled back)"
            )


def _escalation_floor(queue: Queue, agent: User, *, fired: int, notified: int) -> float:
    """The bare cost of the rows a pass writes: what escalation cannot go below."""
    q = connection.ops.quote_name
    bench_tickets = f"SELECT id FROM {q(Ticket._meta.db_table)} WHERE queue_id = %s ORDER BY id LIMIT %s"  # noqa: S608
    json_param = "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"
    with transaction.atomic():
        rule = SlaRule.objects.create(name="Bench: floor", when="breach", target="resolution", action="notify")
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {q(SlaRuleFiring._meta.db_table)} (ticket_id, rule_id, fired_at) "  # noqa: S608
                f"SELECT id, %s, %s FROM ({bench_tickets}) b",
                [rule.pk, timezone.now(), queue.pk, fired],
            )
            cursor.execute(
                f"INSERT INTO {q(TicketEvent._meta.db_table)} (ticket_id, action, old_value, new_value, data, "  # noqa: S608
                f"created_at) SELECT id, 'floor', '', '', {json_param}, %s FROM ({bench_tickets}) b",
                ["{}", timezone.now(), queue.pk, fired],
            )
            cursor.execute(
                f"INSERT INTO {q(Notification._meta.db_table)} (user_id, text, url, created_at) "  # noqa: S608
                f"SELECT %s, 'floor', '', %s FROM ({bench_tickets}) b",
                [agent.pk, timezone.now(), queue.pk, notified],
            )
            if connection.vendor == "postgresql":
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the foreign-key checks a commit would run
        seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    return seconds


def _queue_page_url() -> str | None:
    for name in PAGES:
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return None


def _bench_setup() -> tuple[User, Queue]:
    agent, _created = User.objects.get_or_create(username="bench-support-agent", defaults={"first_name": "Bench"})
    agent.groups.set([Group.objects.get_or_create(name=roles.SUPPORT_AGENT)[0]])
    manager, _created = User.objects.get_or_create(username="bench-support-manager", defaults={"first_name": "Bench"})
    manager.groups.set([Group.objects.get_or_create(name=roles.MANAGER)[0]])
    team, _created = Team.objects.get_or_create(name="Bench support", defaults={"manager": manager})
    queue, _created = Queue.objects.get_or_create(slug=SLUG, defaults={"name": "Bench support", "team": team})
    queue.members.add(agent)
    return agent, queue


def _bench_rules(queue: Queue, agent: User) -> None:
    rules: list[tuple[str, dict]] = [
        ("Bench: resolution overdue", {"when": "breach", "target": "resolution", "action": "notify"}),
        ("Bench: first response overdue", {"when": "breach", "target": "first_response", "action": "raise_priority"}),
        ("Bench: resolution due soon", {"when": "near", "target": "resolution", "minutes_before": 120,
                                        "action": "reassign", "reassign_to": agent}),
    ]  # fmt: skip
    for name, fields in rules:
        SlaRule.objects.update_or_create(name=name, defaults={**fields, "queue": queue, "is_active": True})


def _minutes_ago(expression: str) -> str:
    """SQL for now minus `expression` minutes (uses the %(now)s placeholder once)."""
    if connection.vendor == "postgresql":
        return f"(%(now)s - ({expression}) * interval '1 minute')"
    return f"strftime('%Y-%m-%d %H:%M:%f', %(now)s, '-' || ({expression}) || ' minutes')"


def _later(column: str, minutes: str) -> str:
    """SQL for a timestamp column plus `minutes` minutes."""
    if connection.vendor == "postgresql":
        return f"({column} + ({minutes}) * interval '1 minute')"
    return f"strftime('%Y-%m-%d %H:%M:%f', {column}, '+' || ({minutes}) || ' minutes')"


@transaction.atomic
def _generate(tickets: int, queue: Queue) -> None:
    customers = max(1, tickets // 4)
    _insert_series(
        Customer,
        customers,
        {
            "first_name": "'Bench'",
            "last_name": "'Customer ' || n",
            "email": "'bsup' || n || '@example.com'",
            "external_ref": f"'{MARK}' || n",
        },
    )
    first = Customer.all_objects.filter(external_ref__startswith=MARK).order_by("pk").values_list("pk", flat=True)[0]
    agent_id = queue.members.values_list("pk", flat=True)[0]
    status = _pick(STATUS_BY_N, "n % 10")
    age = f"(n * 7919) % {DAYS * 1440} + 1"  # minutes, spread over the window
    _insert_series(
        Ticket,
        tickets,
        {
            "subject": "'Bench ticket ' || n",
            "customer_id": f"{first} + (n - 1) % {customers}",
            "queue_id": str(queue.pk),
            "team_id": str(queue.team_id),
            "priority": _pick([str(p) for p in PRIORITY_ORDER], "(n / 10) % 4"),
            "status": status,
            "assignee_id": f"CASE WHEN n % 3 = 0 THEN {agent_id} END",
            "created_at": _minutes_ago(age),
        },
    )
    _fill_clocks(queue)
    _threads(queue)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in (Customer, Ticket, TicketMessage, TicketEvent):
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def _fill_clocks(queue: Queue) -> None:
    """Due times one and eight hours after creation; answers after 30 minutes; solves within ten hours."""
    answered, solved = "status <> 'new'", "status IN ('solved', 'closed')"
    sql = (
        f"UPDATE {connection.ops.quote_name(Ticket._meta.db_table)} SET "  # noqa: S608 - our identifiers
        f"first_response_due = {_later('created_at', '60')}, resolution_due = {_later('created_at', '480')}, "
        f"first_responded_at = CASE WHEN {answered} THEN {_later('created_at', '30')} END, "
        f"first_response_minutes = CASE WHEN {answered} THEN 30 END, "
        f"solved_at = CASE WHEN {solved} THEN {_later('created_at', '60 + id %% 540')} END, "
        f"resolution_minutes = CASE WHEN {solved} THEN 60 + id %% 540 END, "
        f"sla_paused_at = CASE WHEN status = 'pending' THEN {_later('created_at', '45')} END, "
        "last_customer_message_at = created_at WHERE queue_id = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [queue.pk])


def _threads(queue: Queue) -> None:
    """The customer's message and, once answered, the agent's reply; a "created" event each."""
    tickets = f"FROM {connection.ops.quote_name(Ticket._meta.db_table)} t WHERE t.queue_id = %s"
    _insert_select(
        TicketMessage,
        {"ticket_id": "t.id", "from_customer": "TRUE", "body": "'Something is broken, please help.'",
         "created_at": "t.created_at"},
        tickets, [queue.pk],
    )  # fmt: skip
    _insert_select(
        TicketMessage,
        {"ticket_id": "t.id", "author_id": "t.assignee_id", "body": "'We are on it.'",
         "created_at": "t.first_responded_at"},
        tickets + " AND t.first_responded_at IS NOT NULL", [queue.pk],
    )  # fmt: skip
    _insert_select(
        TicketEvent,
        {"ticket_id": "t.id", "action": "'created'", "new_value": "'new'", "created_at": "t.created_at"},
        tickets, [queue.pk],
    )  # fmt: skip


def _insert_select(model: type[models.Model], columns: dict[str, str], tail: str, params: list) -> None:
    """INSERT … SELECT `columns` (SQL over the tail's rows) and every other column's default."""
    names, expressions, defaults = [], [], []
    for field in model._meta.concrete_fields:
        if field.primary_key or field.column is None or field.generated:
            continue  # the database computes generated columns (Ticket.sla_next_due)
        names.append(connection.ops.quote_name(field.column))
        if field.column in columns:
            expressions.append(columns[field.column])
        else:
            expressions.append("%s")
            defaults.append(field.get_db_prep_save(field.get_default(), connection))
    table = connection.ops.quote_name(model._meta.db_table)
    sql = f"INSERT INTO {table} ({', '.join(names)}) SELECT {', '.join(expressions)} {tail}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [*defaults, *params])


def _clean_up(queue: Queue) -> None:
    """In SQL, children first: Django's delete() would load every row."""
    q = connection.ops.quote_name
    in_queue = f"SELECT id FROM {q(Ticket._meta.db_table)} WHERE queue_id = %s"  # noqa: S608
    with transaction.atomic(), connection.cursor() as cursor:
        for model in (SlaRuleFiring, TicketEvent, TicketMessage):
            cursor.execute(f"DELETE FROM {q(model._meta.db_table)} WHERE ticket_id IN ({in_queue})", [queue.pk])  # noqa: S608
        cursor.execute(f"DELETE FROM {q(Ticket._meta.db_table)} WHERE queue_id = %s", [queue.pk])  # noqa: S608
        cursor.execute(f"DELETE FROM {q(Customer._meta.db_table)} WHERE external_ref LIKE %s", [MARK + "%"])  # noqa: S608
        Notification.objects.filter(user__username__startswith="bench-support-").delete()
