"""The support managers' dashboard: backlog by queue, response times against
their targets, breaches and the CSAT trend.

Scope: the tickets the viewer may see (`tickets_visible_to`) in the queues they
oversee (`queues_for_user`: their teams' queues and those they work; admins all).
A fixed number of queries whatever the number of tickets or queues. Times are
business minutes as stored on the tickets (`first_response_minutes`,
`resolution_minutes`), over the tickets opened in the last WEEKS weeks.
"""

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.db.models import Aggregate, Avg, Count, F, FloatField, Max, Min, Q, QuerySet
from django.db.models.functions import TruncWeek
from django.utils.translation import gettext as _

from ..models import CsatSurvey, Priority, Queue, SlaPolicy, Ticket
from .tickets import queues_for_user, tickets_visible_to

WEEKS = 12
BACKLOG_STATUSES = [str(status) for status in Ticket.UNSOLVED_STATUSES]


@dataclass
class BacklogRow:
    queue: Queue
    by_status: dict[str, int] = field(default_factory=dict)
    breached_now: int = 0
    # Tickets opened in the window whose first response or resolution came after its due time.
    first_response_late: int = 0
    resolution_late: int = 0

    @property
    def total(self) -> int:
        return sum(self.by_status.values())

    @property
    def counts(self) -> list[int]:
        return [self.by_status.get(status, 0) for status in BACKLOG_STATUSES]


@dataclass
class TimeRow:
    """One priority's first-response or resolution times."""

    priority: str
    label: str
    measured: int = 0  # tickets with a time
    median: float | None = None
    p90: float | None = None
    target_min: int | None = None  # the active policies' targets for this priority (a range when they differ)
    target_max: int | None = None
    with_due: int = 0  # measured tickets that had a due time
    met: int = 0  # … and made it

    @property
    def met_pct(self) -> int | None:
        return round(100 * self.met / self.with_due) if self.with_due else None

    @property
    def median_text(self) -> str:
        return business_duration(self.median)

    @property
    def p90_text(self) -> str:
        return business_duration(self.p90)

    @property
    def target_text(self) -> str:
        if self.target_min is None or self.target_max is None:
            return "—"
        if self.target_min == self.target_max:
            return business_duration(self.target_min)
        return f"{business_duration(self.target_min)} – {business_duration(self.target_max)}"


@dataclass
class CsatWeek:
    week: date
    answered: int
    average: float | None


@dataclass
class Dashboard:
    since: datetime
    queues: list[Queue]
    backlog: list[BacklogRow]
    first_response: list[TimeRow]
    resolution: list[TimeRow]
    csat: list[CsatWeek]

    @property
    def breached_now(self) -> int:
        return sum(row.breached_now for row in self.backlog)


def dashboard_for_user(*, user, now: datetime) -> Dashboard:
    queues = list(queues_for_user(user).select_related("team").order_by("name", "pk"))
    tickets = tickets_visible_to(user).filter(queue__in=[queue.pk for queue in queues])
    since = now - timedelta(weeks=WEEKS)
    first_response, resolution = _times(tickets.filter(created_at__gte=since), queues)
    return Dashboard(
        since=since,
        queues=queues,
        backlog=_backlog(tickets, queues, now=now, since=since),
        first_response=first_response,
        resolution=resolution,
        csat=_csat(tickets, now=now),
    )


def _backlog(tickets: QuerySet[Ticket], queues: list[Queue], *, now: datetime, since: datetime) -> list[BacklogRow]:
    rows = {queue.pk: BacklogRow(queue=queue) for queue in queues}
    unsolved = tickets.filter(status__in=BACKLOG_STATUSES).values("queue_id", "status")
    for row in unsolved.annotate(n=Count("pk"), breached=Count("pk", filter=_breached_now(now))):
        rows[row["queue_id"]].by_status[row["status"]] = row["n"]
        rows[row["queue_id"]].breached_now += row["breached"]
    late = (
        tickets.filter(created_at__gte=since)
        .values("queue_id")
        .annotate(
            first=Count("pk", filter=Q(first_responded_at__gt=F("first_response_due"))),
            resolution=Count("pk", filter=Q(solved_at__gt=F("resolution_due"))),
        )
    )
    for late_row in late:
        rows[late_row["queue_id"]].first_response_late = late_row["first"]
        rows[late_row["queue_id"]].resolution_late = late_row["resolution"]
    return list(rows.values())


def _breached_now(now: datetime) -> Q:
    """Running clocks past their due time (a paused ticket waits on the customer)."""
    running = Q(status__in=Ticket.OPEN_STATUSES, sla_paused_at__isnull=True)
    late = Q(first_responded_at__isnull=True, first_response_due__lt=now) | Q(resolution_due__lt=now)
    return running & late


def _times(window: QuerySet[Ticket], queues: list[Queue]) -> tuple[list[TimeRow], list[TimeRow]]:
    first = {p: TimeRow(priority=p, label=str(label)) for p, label in Priority.choices}
    resolution = {p: TimeRow(priority=p, label=str(label)) for p, label in Priority.choices}
    counts = window.values("priority").annotate(
        first_n=Count("first_response_minutes"),
        first_clocked=Count("pk", filter=Q(first_response_minutes__isnull=False, first_response_due__isnull=False)),
        first_met=Count("pk", filter=Q(first_responded_at__lte=F("first_response_due"))),
        resolution_n=Count("resolution_minutes"),
        resolution_clocked=Count("pk", filter=Q(resolution_minutes__isnull=False, resolution_due__isnull=False)),
        resolution_met=Count("pk", filter=Q(solved_at__lte=F("resolution_due"))),
    )
    row: Any  # django-stubs types each values() row as its own TypedDict
    for row in counts:
        for rows, key in ((first, "first"), (resolution, "resolution")):
            target = rows[row["priority"]]
            target.measured, target.with_due, target.met = row[f"{key}_n"], row[f"{key}_clocked"], row[f"{key}_met"]
    for priority, (first_median, first_p90, resolution_median, resolution_p90) in _percentiles(window).items():
        first[priority].median, first[priority].p90 = first_median, first_p90
        resolution[priority].median, resolution[priority].p90 = resolution_median, resolution_p90
    _targets(first, resolution, queues)
    return list(first.values()), list(resolution.values())


class PercentileCont(Aggregate):
    """PostgreSQL's percentile_cont: linear interpolation between the closest ranks."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, fraction: float, **extra):
        super().__init__(expression, fraction=float(fraction), **extra)


def _percentiles(window: QuerySet[Ticket]) -> dict[str, tuple[float | None, ...]]:
    """{priority: (first-response median, p90, resolution median, p90)}, one query on either database."""
    fields = ("first_response_minutes", "resolution_minutes")
    if connection.vendor == "postgresql":
        aggregates = {f"{name}_{p}": PercentileCont(name, p / 100) for name in fields for p in (50, 90)}
        rows: list[Any] = list(window.values("priority").annotate(**aggregates))
        return {row["priority"]: tuple(row[f"{name}_{p}"] for name in fields for p in (50, 90)) for row in rows}
    values: dict[str, dict[str, list[int]]] = defaultdict(lambda: {name: [] for name in fields})
    for priority, *minutes in window.values_list("priority", *fields):
        for name, value in zip(fields, minutes, strict=True):
            if value is not None:
                values[priority][name].append(value)
    return {
        priority: tuple(percentile(sorted(lists[name]), p / 100) for name in fields for p in (50, 90))
        for priority, lists in values.items()
    }


def percentile(ordered: list[int], fraction: float) -> float | None:
    """As PostgreSQL's percentile_cont over sorted values; None for none."""
    if not ordered:
        return None
    position = fraction * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _targets(first: dict[str, TimeRow], resolution: dict[str, TimeRow], queues: list[Queue]) -> None:
    """The targets of the active policies that apply in these queues (or everywhere), per priority."""
    policies = (
        SlaPolicy.objects.filter(is_active=True)
        .filter(Q(queue__isnull=True) | Q(queue__in=[queue.pk for queue in queues]))
        .values("priority")
        .annotate(
            first_min=Min("first_response_minutes"),
            first_max=Max("first_response_minutes"),
            resolution_min=Min("resolution_minutes"),
            resolution_max=Max("resolution_minutes"),
        )
    )
    for row in policies:
        if row["priority"] in first:
            first[row["priority"]].target_min, first[row["priority"]].target_max = row["first_min"], row["first_max"]
            target = resolution[row["priority"]]
            target.target_min, target.target_max = row["resolution_min"], row["resolution_max"]


def _csat(tickets: QuerySet[Ticket], *, now: datetime) -> list[CsatWeek]:
    """Answered surveys per week (Monday, in the CRM's time zone), the last WEEKS weeks, empty weeks included."""
    zone = ZoneInfo(settings.TIME_ZONE)
    this_week = now.astimezone(zone).date() - timedelta(days=now.astimezone(zone).weekday())
    weeks = [this_week - timedelta(weeks=n) for n in range(WEEKS - 1, -1, -1)]
    start = datetime.combine(weeks[0], datetime.min.time(), tzinfo=zone)
    answered = (
        CsatSurvey.objects.filter(ticket__in=tickets.values("pk"), answered_at__gte=start, score__isnull=False)
        .annotate(week=TruncWeek("answered_at", tzinfo=zone))
        .values("week")
        .annotate(n=Count("pk"), average=Avg("score"))
    )
    by_week: dict[date, Any] = {_as_date(row["week"]): row for row in answered}
    return [
        CsatWeek(week=week, answered=by_week[week]["n"] if week in by_week else 0, average=_average(by_week.get(week)))
        for week in weeks
    ]


def _as_date(value) -> date:
    return value.date() if isinstance(value, datetime) else value


def _average(row: dict | None) -> float | None:
    return None if row is None or row["average"] is None else round(float(row["average"]), 2)


def business_duration(minutes: float | None) -> str:
    """Business minutes as people read them: "2h 10m", "45m"; "—" when there is nothing to show."""
    if minutes is None:
        return "—"
    hours, rest = divmod(round(minutes), 60)
    if hours:
        return _("%(hours)dh %(minutes)dm") % {"hours": hours, "minutes": rest}
    return _("%(minutes)dm") % {"minutes": rest}
