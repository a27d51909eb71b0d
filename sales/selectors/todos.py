"""Reads for tasks and for the rep's "my day" home. Every list starts from visible_to(user)."""

from datetime import date, datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts import roles
from accounts.models import Team, User
from accounts.selectors import assignable_users
from crm_project.access import get_for_user

from ..models import Deal, Lead, Pipeline, Task
from ..services.todos import local_day_bounds


def task_get_for_user(*, user, pk, write: bool = False) -> Task:
    queryset = Task.objects.select_related("owner", "customer", "deal", "lead")
    return get_for_user(queryset, user=user, pk=pk, write=write)


MY_DAY_LIMIT = 10
RECENT_LEAD_DAYS = 7


def task_list_for_user(*, user) -> QuerySet[Task]:
    return Task.objects.visible_to(user).select_related("owner", "customer", "deal", "lead")


def task_assignees_for(user) -> QuerySet[User]:
    """Who the user may assign a task to: reps only themselves, managers the members
    of the teams they manage (and themselves), admins anyone who can own records."""
    if roles.is_admin(user):
        return assignable_users()
    if roles.is_manager(user):
        managed = Team.objects.filter(manager=user)
        return (
            User.objects.filter(Q(pk=user.pk) | Q(is_active=True, teams__in=managed))
            .distinct()
            .order_by("first_name", "last_name", "username")
        )
    return User.objects.filter(pk=user.pk)


def task_end_of_today(now: datetime | None = None) -> datetime:
    return local_day_bounds(timezone.localdate(now))[1]


# --- my day -------------------------------------------------------------------------------
def month_bounds(day: date) -> tuple[date, date]:
    """The first day of day's month and the first day of the next month."""
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following


def my_day_tasks(*, user, now: datetime | None = None) -> QuerySet[Task]:
    """The user's open tasks due today or earlier, the oldest first."""
    return (
        task_list_for_user(user=user)
        .filter(owner=user, done_at__isnull=True, due_at__lt=task_end_of_today(now))
        .order_by("due_at", "-priority", "pk")
    )


def _open_deals(user) -> QuerySet[Deal]:
    return (
        Deal.objects.visible_to(user)
        .filter(owner=user, status=Deal.Status.OPEN)
        .select_related("customer", "stage", "pipeline")
        .prefetch_related("pipeline__stages")
    )


def my_day_deals_closing(*, user, today: date | None = None) -> QuerySet[Deal]:
    """The user's open deals expected to close this month, and those whose date has
    passed (flagged "Overdue": a deal left behind must not drop out of sight)."""
    _first, following = month_bounds(today or timezone.localdate())
    return _open_deals(user).filter(expected_close_date__lt=following)


def stuck_condition(pipelines, now: datetime, *, since: str = "stage_changed_at") -> Q:
    """Deals in a stage longer than their pipeline's threshold. One Q per pipeline keeps the
    date arithmetic in Python, so the query is the same on SQLite and PostgreSQL.

    `since` names the moment counted from: the stage change, or an annotation such as
    analytics' "last activity" (a deal gone quiet is stuck counted from its last touch)."""
    condition = Q(pk__in=[])
    for pipeline in pipelines:
        cutoff = now - timedelta(days=pipeline.stuck_after_days + 1)
        condition |= Q(pipeline_id=pipeline.pk, **{f"{since}__lte": cutoff})
    return condition


def my_day_deals_stuck(*, user, now: datetime | None = None) -> QuerySet[Deal]:
    """The user's open deals whose days in stage exceed the pipeline's stuck_after_days, longest first."""
    now = now or timezone.now()
    pipelines = Pipeline.objects.only("pk", "stuck_after_days")
    return _open_deals(user).filter(stuck_condition(pipelines, now)).order_by("stage_changed_at", "pk")


def my_day_leads(*, user, now: datetime | None = None) -> QuerySet[Lead]:
    """Leads assigned to the user in the last week that still wait for contact or qualification."""
    since = (now or timezone.now()) - timedelta(days=RECENT_LEAD_DAYS)
    return (
        Lead.objects.visible_to(user)
        .filter(owner=user, created_at__gte=since, status__in=[Lead.Status.NEW, Lead.Status.CONTACTED])
        .order_by("-created_at", "-pk")
    )


MY_DAY_PARTS = ("tasks", "deals_closing", "deals_stuck", "leads")


def my_day(*, user, now: datetime | None = None, parts: tuple[str, ...] = MY_DAY_PARTS) -> dict:
    """What the rep's home shows (or just some of its cards), each list capped at MY_DAY_LIMIT rows."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    readers = {
        "tasks": lambda: my_day_tasks(user=user, now=now),
        "deals_closing": lambda: my_day_deals_closing(user=user, today=today),
        "deals_stuck": lambda: my_day_deals_stuck(user=user, now=now),
        "leads": lambda: my_day_leads(user=user, now=now),
    }
    context = {part: list(readers[part]()[:MY_DAY_LIMIT]) for part in parts}
    return {**context, "now": now, "today": today, "lead_statuses": MY_DAY_LEAD_STATUSES}


# The statuses "my day" offers in place; unqualifying needs a reason, so it happens on the lead's page.
MY_DAY_LEAD_STATUSES = [(s.value, s.label) for s in (Lead.Status.NEW, Lead.Status.CONTACTED, Lead.Status.QUALIFIED)]


# --- the manager's home --------------------------------------------------------------------
def team_overdue_tasks(*, user, now: datetime | None = None) -> QuerySet[Task]:
    """Open tasks past their due time that the user can see, the oldest first."""
    return (
        task_list_for_user(user=user)
        .filter(done_at__isnull=True, due_at__lt=now or timezone.now())
        .order_by("due_at", "-priority", "pk")
    )
