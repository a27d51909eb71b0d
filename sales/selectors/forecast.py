"""Reads for the forecast, the targets grid and the manager's home.

Everything is aggregated in SQL (one query per figure family, grouped by month),
never by looping over deals or orders in Python. Months are calendar months in
the CRM's time zone (TIME_ZONE). Amounts are Decimals; a forecast covers one
currency at a time (deals and orders in other currencies are left out).

Weighted pipeline: SQL sums amount × probability per month and Python divides
the few monthly sums by 100. (Dividing in SQL would be integer division on
SQLite, which stores whole amounts as integers: 1001 × 25 / 100 = 250 there.)
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Count, DateField, DecimalField, F, Q, QuerySet, Sum
from django.db.models.functions import Trunc, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import roles
from accounts.models import Team, User
from accounts.selectors import assignable_users
from customers.models import Interaction

from ..models import Deal, DealStageChange, Order, Target

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

FORECAST_MONTHS = 6
REVENUE_MONTHS = 12
CENTS = Decimal("0.01")
ZERO = Decimal("0.00")
MONEY = DecimalField(max_digits=20, decimal_places=2)


# --- months ------------------------------------------------------------------------------
def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def forecast_months(today: date | None = None) -> list[date]:
    """The current calendar month and the five after it (first days)."""
    first = (today or timezone.localdate()).replace(day=1)
    return [add_months(first, offset) for offset in range(FORECAST_MONTHS)]


def revenue_months(today: date | None = None) -> list[date]:
    """The twelve calendar months ending with the current one (first days)."""
    first = (today or timezone.localdate()).replace(day=1)
    return [add_months(first, offset) for offset in range(1 - REVENUE_MONTHS, 1)]


def month_start(month: date) -> datetime:
    """Midnight at the start of the month in the CRM's time zone."""
    return timezone.make_aware(datetime.combine(month, time.min), timezone.get_default_timezone())


def _trunc_month(field_name: str) -> Trunc:
    """A datetime's calendar month in TIME_ZONE, as a date."""
    return Trunc(field_name, "month", output_field=DateField(), tzinfo=timezone.get_default_timezone())


def _as_date(value) -> date:
    return value.date() if isinstance(value, datetime) else value


def _weighted(amount_times_probability) -> Decimal:
    return ((amount_times_probability or ZERO) / 100).quantize(CENTS)


def _money(value) -> Decimal:
    return (value or ZERO).quantize(CENTS)


# --- who may be selected -----------------------------------------------------------------
@dataclass(frozen=True)
class ForecastScope:
    """Whose forecast: the viewer's whole scope, one team or one person."""

    team: Team | None = None
    user: User | None = None


def forecast_teams(user) -> QuerySet[Team]:
    """Teams the viewer may forecast and set targets for: all (admins), managed (managers)."""
    if roles.is_admin(user):
        return Team.objects.all()
    if roles.is_manager(user):
        return Team.objects.filter(manager=user)
    return Team.objects.none()


def forecast_people(user) -> QuerySet[User]:
    """People the viewer may select: everyone who owns deals (admins), the members of the
    managed teams (managers), only themselves (reps)."""
    if roles.is_admin(user):
        return assignable_users()
    if roles.is_manager(user):
        return (
            User.objects.filter(is_active=True, teams__in=forecast_teams(user))
            .distinct()
            .order_by("first_name", "last_name", "username")
        )
    return User.objects.filter(pk=user.pk)


def may_see_forecast(user) -> bool:
    return roles.is_manager_or_admin(user) or roles.is_sales_rep(user)


def forecast_deals(*, user, scope: ForecastScope) -> QuerySet[Deal]:
    """Deals behind the forecast: the viewer's visible deals, narrowed to the selection.
    Reps only ever see their own forecast, even when their scope is the team."""
    deals = Deal.objects.visible_to(user)
    if not roles.is_manager_or_admin(user):
        deals = deals.filter(owner=user)
    if scope.user is not None:
        deals = deals.filter(owner=scope.user)
    elif scope.team is not None:
        deals = deals.filter(team=scope.team)
    return deals


def forecast_orders(*, user, scope: ForecastScope) -> QuerySet[Order]:
    """Orders behind the revenue chart: visible ones whose customer the selection owns."""
    orders = Order.objects.visible_to(user)
    if not roles.is_manager_or_admin(user):
        orders = orders.filter(customer__owner=user)
    if scope.user is not None:
        orders = orders.filter(customer__owner=scope.user)
    elif scope.team is not None:
        orders = orders.filter(customer__team=scope.team)
    return orders


def forecast_currencies(*, user, today: date | None = None) -> list[str]:
    """The CRM's currency plus any other currency of open deals (overdue and later ones included)."""
    found = (
        Deal.objects.visible_to(user)
        .filter(status=Deal.Status.OPEN)
        .order_by()
        .values_list("currency", flat=True)
        .distinct()
    )
    return sorted({settings.CRM_CURRENCY, *found})


# --- the forecast ------------------------------------------------------------------------
@dataclass
class ForecastMonth:
    month: date
    weighted: Decimal = ZERO
    best_case: Decimal = ZERO
    commit: Decimal = ZERO
    closed_won: Decimal = ZERO
    target: Decimal | None = None


@dataclass
class OpenDealsOutsideMonths:
    """Open deals the month rows leave out, so that the totals still add up to the
    open pipeline: overdue (expected in an earlier month and still open), later
    (after the six months) and undated ones."""

    overdue: ForecastMonth
    later: ForecastMonth
    undated: ForecastMonth

    def rows(self) -> list[ForecastMonth]:
        return [self.overdue, self.later, self.undated]

    def after_months(self) -> list[tuple[str, "StrOrPromise", ForecastMonth]]:
        """(key, label, row) of the rows shown below the months, when they hold a deal."""
        rows = [("later", _("Later"), self.later), ("undated", _("No close date"), self.undated)]
        return [row for row in rows if row[2].best_case]


@dataclass
class Forecast:
    currency: str
    commit_probability: int
    months: list[ForecastMonth]
    outside: OpenDealsOutsideMonths | None = None
    totals: ForecastMonth = field(init=False)

    def __post_init__(self):
        rows = self.months + (self.outside.rows() if self.outside else [])
        targets = [row.target for row in self.months if row.target is not None]
        self.totals = ForecastMonth(
            month=self.months[0].month,
            weighted=sum((row.weighted for row in rows), ZERO),
            best_case=sum((row.best_case for row in rows), ZERO),
            commit=sum((row.commit for row in rows), ZERO),
            closed_won=sum((row.closed_won for row in self.months), ZERO),
            target=sum(targets, ZERO) if targets else None,
        )


def forecast_for(
    *, user, scope: ForecastScope, currency: str, today: date | None = None, teams: list[Team] | None = None
) -> Forecast:
    """Per month of the next six: weighted pipeline, best case, commit, closed-won and target.
    `teams`: the viewer's forecast_teams, when the caller has them already."""
    months = forecast_months(today)
    end = add_months(months[-1], 1)
    threshold = settings.CRM_FORECAST_COMMIT_PROBABILITY
    deals = forecast_deals(user=user, scope=scope).filter(currency=currency)
    open_rows = (
        deals.filter(status=Deal.Status.OPEN, expected_close_date__gte=months[0], expected_close_date__lt=end)
        .annotate(month=TruncMonth("expected_close_date"))
        .values("month")
        .annotate(
            amount_times_probability=Sum(F("amount") * F("stage__probability"), output_field=MONEY),
            best_case=Sum("amount", output_field=MONEY),
            commit=Sum("amount", filter=Q(stage__probability__gte=threshold), output_field=MONEY),
        )
        .order_by("month")
    )
    won_rows = (
        deals.filter(status=Deal.Status.WON, closed_at__gte=month_start(months[0]), closed_at__lt=month_start(end))
        .annotate(month=_trunc_month("closed_at"))
        .values("month")
        .annotate(total=Sum("amount", output_field=MONEY))
        .order_by("month")
    )
    rows = {month: ForecastMonth(month=month) for month in months}
    for row in open_rows:
        month = rows[_as_date(row["month"])]
        month.weighted = _weighted(row["amount_times_probability"])
        month.best_case = _money(row["best_case"])
        month.commit = _money(row["commit"])
    for won in won_rows:
        rows[_as_date(won["month"])].closed_won = _money(won["total"])
    for target_month, amount in targets_for(user=user, scope=scope, months=months, teams=teams).items():
        rows[target_month].target = amount
    outside = open_deals_outside_months(deals, first_month=months[0], end=end)
    return Forecast(currency=currency, commit_probability=threshold, months=list(rows.values()), outside=outside)


def open_deals_outside_months(deals: QuerySet[Deal], *, first_month: date, end: date) -> "OpenDealsOutsideMonths":
    """The open deals expected before this month, after the window, or undated: one query."""
    threshold = settings.CRM_FORECAST_COMMIT_PROBABILITY
    buckets = {
        "overdue": Q(expected_close_date__lt=first_month),
        "later": Q(expected_close_date__gte=end),
        "undated": Q(expected_close_date__isnull=True),
    }
    sums = {}
    for name, condition in buckets.items():
        sums[f"{name}_weighted"] = Sum(F("amount") * F("stage__probability"), filter=condition, output_field=MONEY)
        sums[f"{name}_best"] = Sum("amount", filter=condition, output_field=MONEY)
        sums[f"{name}_commit"] = Sum(
            "amount", filter=condition & Q(stage__probability__gte=threshold), output_field=MONEY
        )
    figures = deals.filter(status=Deal.Status.OPEN).aggregate(**sums)
    rows = {
        name: ForecastMonth(
            month=first_month,
            weighted=_weighted(figures[f"{name}_weighted"]),
            best_case=_money(figures[f"{name}_best"]),
            commit=_money(figures[f"{name}_commit"]),
        )
        for name in buckets
    }
    return OpenDealsOutsideMonths(**rows)


def targets_for(
    *, user, scope: ForecastScope, months: list[date], teams: list[Team] | None = None
) -> dict[date, Decimal]:
    """The target per month for the selection.

    A person's target is their own Target row. A team's target is the team's
    Target row for that month if there is one, else the sum of its members'
    targets. The whole scope is the sum of its teams' targets (reps: their own)."""
    if scope.user is not None or not roles.is_manager_or_admin(user):
        person = scope.user or user
        rows = Target.objects.filter(user=person, month__in=months).values_list("month", "amount")
        return dict(rows)
    if scope.team is not None:
        teams = [scope.team]
    elif teams is None:
        teams = list(forecast_teams(user))
    per_team = team_targets(teams=teams, months=months)
    totals: dict[date, Decimal] = {}
    for (_team_id, month), amount in per_team.items():
        totals[month] = totals.get(month, ZERO) + amount
    return totals


def team_targets(*, teams, months: list[date]) -> dict[tuple[int, date], Decimal]:
    """{(team id, month): target}: the team's own row, else the sum of its members' rows."""
    team_ids = [team.pk for team in teams]
    own = {
        (team_id, month): amount
        for team_id, month, amount in Target.objects.filter(team_id__in=team_ids, month__in=months).values_list(
            "team_id", "month", "amount"
        )
    }
    members = (
        Target.objects.filter(user__teams__in=team_ids, month__in=months)
        .values("user__teams", "month")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    result = {(row["user__teams"], row["month"]): row["total"] for row in members}
    result.update(own)
    return result


@dataclass
class BreakdownRow:
    label: str
    months: list[Decimal]
    weighted: Decimal
    commit: Decimal


def forecast_breakdown(
    *, user, scope: ForecastScope, currency: str, by: str, today: date | None = None
) -> list[BreakdownRow]:
    """Weighted pipeline per month for each owner (by="owner") or team (by="team")."""
    months = forecast_months(today)
    end = add_months(months[-1], 1)
    threshold = settings.CRM_FORECAST_COMMIT_PROBABILITY
    keys = ["owner_id", "owner__first_name", "owner__last_name", "owner__username"]
    if by == "team":
        keys = ["team_id", "team__name"]
    rows = (
        forecast_deals(user=user, scope=scope)
        .filter(
            currency=currency,
            status=Deal.Status.OPEN,
            expected_close_date__gte=months[0],
            expected_close_date__lt=end,
        )
        .annotate(month=TruncMonth("expected_close_date"))
        .values(*keys, "month")
        .annotate(
            amount_times_probability=Sum(F("amount") * F("stage__probability"), output_field=MONEY),
            commit=Sum("amount", filter=Q(stage__probability__gte=threshold), output_field=MONEY),
        )
        .order_by()
    )
    grouped: dict[object, dict] = {}
    for row in rows:
        entry = grouped.setdefault(row[keys[0]], {"label": _breakdown_label(row, by), "months": {}, "commit": ZERO})
        entry["months"][_as_date(row["month"])] = _weighted(row["amount_times_probability"])
        entry["commit"] += _money(row["commit"])
    result = [
        BreakdownRow(
            label=entry["label"],
            months=[entry["months"].get(month, ZERO) for month in months],
            weighted=sum(entry["months"].values(), ZERO),
            commit=entry["commit"],
        )
        for entry in grouped.values()
    ]
    return sorted(result, key=lambda row: (-row.weighted, row.label))


def _breakdown_label(row: dict, by: str) -> str:
    if by == "team":
        return row["team__name"] or "—"
    name = f"{row['owner__first_name'] or ''} {row['owner__last_name'] or ''}".strip()
    return name or row["owner__username"] or "—"


# --- won revenue from orders -------------------------------------------------------------
@dataclass
class RevenueMonth:
    month: date
    revenue: Decimal = ZERO
    orders: int = 0


def revenue_by_month(*, user, scope: ForecastScope, currency: str, today: date | None = None) -> list[RevenueMonth]:
    """Paid orders' totals per month for the twelve months ending with this one."""
    months = revenue_months(today)
    end = add_months(months[-1], 1)
    rows = (
        forecast_orders(user=user, scope=scope)
        .filter(
            status=Order.Status.PAID,
            currency=currency,
            ordered_at__gte=month_start(months[0]),
            ordered_at__lt=month_start(end),
        )
        .annotate(month=_trunc_month("ordered_at"))
        .values("month")
        .annotate(revenue=Sum("total", output_field=MONEY), orders=Count("pk"))
        .order_by("month")
    )
    result = {month: RevenueMonth(month=month) for month in months}
    for row in rows:
        entry = result[_as_date(row["month"])]
        entry.revenue, entry.orders = _money(row["revenue"]), row["orders"]
    return list(result.values())


# --- the manager's home ------------------------------------------------------------------
@dataclass
class PipelineTotal:
    currency: str
    deals: int
    amount: Decimal
    weighted: Decimal


def pipeline_totals(*, user) -> list[PipelineTotal]:
    """Open deals the user can see: count, total and weighted amount per currency."""
    rows = (
        Deal.objects.visible_to(user)
        .filter(status=Deal.Status.OPEN)
        .values("currency")
        .annotate(
            deals=Count("pk"),
            total_amount=Sum("amount", output_field=MONEY),
            amount_times_probability=Sum(F("amount") * F("stage__probability"), output_field=MONEY),
        )
        .order_by("currency")
    )
    return [
        PipelineTotal(
            currency=row["currency"],
            deals=row["deals"],
            amount=_money(row["total_amount"]),
            weighted=_weighted(row["amount_times_probability"]),
        )
        for row in rows
    ]


def deals_closing_this_month(*, user, today: date | None = None) -> QuerySet[Deal]:
    """Open deals the user can see that are expected to close this month, the biggest first."""
    first = (today or timezone.localdate()).replace(day=1)
    return (
        Deal.objects.visible_to(user)
        .filter(status=Deal.Status.OPEN, expected_close_date__gte=first, expected_close_date__lt=add_months(first, 1))
        .select_related("owner", "stage", "customer")
        .order_by("-amount", "pk")
    )


def manager_overview(*, user, now: datetime | None = None) -> dict:
    """The sales cards of the manager's home: pipeline totals, deals closing this month,
    overdue tasks, the team's activity this week and the leaderboard."""
    from .todos import MY_DAY_LIMIT, team_overdue_tasks

    now = now or timezone.now()
    people = list(forecast_people(user))
    return {
        "pipeline_totals": pipeline_totals(user=user),
        "closing_deals": list(deals_closing_this_month(user=user, today=timezone.localdate(now))[:MY_DAY_LIMIT]),
        "overdue_tasks": list(team_overdue_tasks(user=user, now=now)[:MY_DAY_LIMIT]),
        "team_activity": team_activity(people=people, now=now),
        "leaderboard": leaderboard(people=people, today=timezone.localdate(now)),
        "currency": settings.CRM_CURRENCY,
    }


# --- the manager's home: team activity and the leaderboard ----------------------------------
@dataclass
class RepActivity:
    rep: User
    calls: int = 0
    meetings: int = 0
    emails_and_notes: int = 0
    deals_moved: int = 0

    @property
    def total(self) -> int:
        return self.calls + self.meetings + self.emails_and_notes + self.deals_moved


def week_start(now: datetime) -> datetime:
    """Monday 00:00 of this week, in the reader's time zone."""
    today = timezone.localdate(now)
    monday = today.fromordinal(today.toordinal() - today.weekday())
    return timezone.make_aware(datetime.combine(monday, time.min))


def team_activity(*, people: list[User], now: datetime | None = None) -> list[RepActivity]:
    """Calls, meetings, emails and notes logged and deals moved this week, per person
    (two grouped queries), the busiest first."""
    since = week_start(now or timezone.now())
    reps = {rep.pk: RepActivity(rep=rep) for rep in people}
    kinds = Interaction.Kind
    logged = (
        Interaction.objects.filter(user__in=list(reps), kind__in=Interaction.LOGGABLE_KINDS, occurred_at__gte=since)
        .values("user")
        .annotate(
            calls=Count("pk", filter=Q(kind=kinds.CALL)),
            meetings=Count("pk", filter=Q(kind=kinds.MEETING)),
            other=Count("pk", filter=Q(kind__in=[kinds.EMAIL, kinds.NOTE])),
        )
        .order_by()
    )
    for row in logged:
        activity = reps[row["user"]]
        activity.calls, activity.meetings, activity.emails_and_notes = row["calls"], row["meetings"], row["other"]
    moved = (
        DealStageChange.objects.filter(actor__in=list(reps), changed_at__gte=since, from_stage__isnull=False)
        .values("actor")
        .annotate(count=Count("pk"))
        .order_by()
        .values_list("actor", "count")
    )
    for actor_id, count in moved:
        reps[actor_id].deals_moved = count
    return sorted(reps.values(), key=lambda activity: (-activity.total, str(activity.rep)))


@dataclass
class LeaderboardRow:
    rep: User
    won: Decimal
    target: Decimal | None

    @property
    def share(self) -> int | None:
        """Percent of the target won so far (None without a target)."""
        return round(self.won * 100 / self.target) if self.target else None


def leaderboard(*, people: list[User], today: date | None = None) -> list[LeaderboardRow]:
    """Won revenue this month (the CRM's currency) against each person's target, best first."""
    first = (today or timezone.localdate()).replace(day=1)
    reps = people
    won = dict(
        Deal.objects.filter(
            owner__in=reps,
            status=Deal.Status.WON,
            currency=settings.CRM_CURRENCY,
            closed_at__gte=month_start(first),
            closed_at__lt=month_start(add_months(first, 1)),
        )
        .values("owner")
        .annotate(total=Sum("amount", output_field=MONEY))
        .order_by()
        .values_list("owner", "total")
    )
    targets = dict(Target.objects.filter(user__in=reps, month=first).values_list("user", "amount"))
    rows = [LeaderboardRow(rep=rep, won=_money(won.get(rep.pk)), target=targets.get(rep.pk)) for rep in reps]
    return sorted(rows, key=lambda row: (-row.won, str(row.rep)))
