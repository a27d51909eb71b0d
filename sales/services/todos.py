"""Writes for tasks (create, edit, complete, reopen) and the daily reminder job.

A task's audit entry goes on the timeline of the customer it concerns: its own
customer, else its deal's customer, else its (converted) lead's customer.
"""

import logging
from datetime import datetime, time, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import ngettext

from accounts.models import User
from accounts.selectors import team_for_owner
from accounts.services import notification_create
from crm_project.events import event_emit
from crm_project.services import apply_changes
from crm_project.versioning import version_claim
from customers.models import Customer
from customers.services import timeline_record

from ..models import Deal, Lead, Task

logger = logging.getLogger(__name__)

TASK_FIELDS = ("title", "due_at", "priority", "notes", "owner")


def _customer_of(task: Task) -> Customer | None:
    if task.customer_id:
        return task.customer
    if task.deal is not None:
        return task.deal.customer
    if task.lead is not None and task.lead.customer_id:
        return task.lead.customer
    return None


def _audit(task: Task, *, action: str, actor: User | None, data: dict | None = None) -> None:
    customer = _customer_of(task)
    if customer is not None:
        data = {"task": task.pk, "title": task.title, **(data or {})}
        timeline_record(action=action, actor=actor, customer=customer, data=data)


@transaction.atomic
def task_create(
    *,
    actor: User | None,
    title: str,
    due_at: datetime,
    owner: User | None = None,
    priority: int = Task.Priority.NORMAL,
    notes: str = "",
    customer: Customer | None = None,
    deal: Deal | None = None,
    lead: Lead | None = None,
) -> Task:
    """Create a task; the assignee (owner) defaults to the actor and the team follows the assignee."""
    owner = owner or actor
    if customer is None and deal is not None:
        customer = deal.customer
    task = Task(
        title=title,
        due_at=due_at,
        owner=owner,
        team=team_for_owner(owner),
        priority=priority,
        notes=notes,
        customer=customer,
        deal=deal,
        lead=lead,
        created_by=actor,
    )
    task.full_clean(exclude=["owner", "team", "created_by"])
    task.save()
    _audit(task, action="task.created", actor=actor)
    return task


@transaction.atomic
def task_update(*, task: Task, actor: User | None, version: int | None = None, **fields) -> Task:
    """Change a task's title, due time, priority, notes or assignee. With the `version`
    its form was opened at, a stale edit raises StaleEdit and changes nothing."""
    if version is not None:
        version_claim(task, expected=version)
    unknown = set(fields) - set(TASK_FIELDS)
    if unknown:
        raise TypeError(f"task_update() cannot change {', '.join(sorted(unknown))}")
    changed = apply_changes(task, fields)
    if "owner" in changed:
        task.team = team_for_owner(task.owner)
    if "due_at" in changed or "owner" in changed:
        # A new due day or a new assignee deserves its own reminder.
        task.reminded_at = None
    task.full_clean(exclude=["owner", "team", "created_by"])
    task.save()
    if changed:
        _audit(
            task,
            action="task.updated",
            actor=actor,
            data={"fields": changed},
        )
    return task


@transaction.atomic
def task_complete(*, task: Task, actor: User | None) -> Task:
    """Mark a task done (doing it twice keeps the first completion time)."""
    if task.done_at is not None:
        return task
    task.done_at = timezone.now()
    task.save(update_fields=["done_at"])
    _audit(task, action="task.completed", actor=actor)
    event_emit("task.completed", instance=task, actor=actor)
    return task


@transaction.atomic
def task_reopen(*, task: Task, actor: User | None) -> Task:
    if task.done_at is None:
        return task
    task.done_at = None
    task.save(update_fields=["done_at"])
    _audit(task, action="task.reopened", actor=actor)
    return task


# --- the daily reminder ---------------------------------------------------------------
def local_day_bounds(day) -> tuple[datetime, datetime]:
    """The first instant of `day` and of the next day, in the CRM's time zone (DST-safe)."""
    zone = timezone.get_default_timezone()
    start = timezone.make_aware(datetime.combine(day, time.min), zone)
    end = timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min), zone)
    return start, end


def tasks_due_for_reminder(*, now: datetime | None = None) -> QuerySet[Task]:
    """Open tasks due today (in TIME_ZONE) whose assignee has not been reminded of them today."""
    now = now or timezone.now()
    start, end = local_day_bounds(timezone.localdate(now, timezone.get_default_timezone()))
    return Task.objects.filter(
        Q(reminded_at__isnull=True) | Q(reminded_at__lt=start),
        owner__isnull=False,
        owner__is_active=True,
        done_at__isnull=True,
        due_at__gte=start,
        due_at__lt=end,
    )


class ReminderSendError(Exception):
    """Some reminder emails could not be sent; their tasks stay un-reminded for the retry."""


def task_reminders_send(*, now: datetime | None = None) -> dict:
    """Remind every assignee of today's open tasks: one email and one in-app notification each.

    Safe to run again (a retry, a second beat run, two workers at once): each
    assignee is handled in its own transaction that
      1. locks their due, un-reminded tasks with select_for_update(skip_locked=True),
         so a concurrent run skips rows another run has in flight;
      2. sets reminded_at on those rows and writes the notification;
      3. sends the email last.
    If sending raises, the transaction rolls back: reminded_at stays empty and
    no notification remains, so the next run (the job retries) sends them.
    The only window for a duplicate is a crash between a successful send and
    the commit; we accept that (at-least-once) rather than risk a lost reminder.

    Returns {"assignees", "tasks", "emails", "failed"} for the job log.
    """
    now = now or timezone.now()
    assignee_ids = list(tasks_due_for_reminder(now=now).order_by().values_list("owner_id", flat=True).distinct())
    counts = {"assignees": 0, "tasks": 0, "emails": 0, "failed": 0}
    for assignee in User.objects.filter(pk__in=assignee_ids).order_by("pk"):
        try:
            reminded, emailed = _remind_assignee(assignee, now=now)
        except Exception:
            logger.exception("Task reminder for user %s failed; it will be retried", assignee.pk)
            counts["failed"] += 1
            continue
        if reminded:
            counts["assignees"] += 1
            counts["tasks"] += reminded
            counts["emails"] += emailed
    return counts


@transaction.atomic
def _remind_assignee(assignee: User, *, now: datetime) -> tuple[int, int]:
    tasks = list(
        tasks_due_for_reminder(now=now)
        .filter(owner=assignee)
        .select_for_update(skip_locked=True, of=("self",))
        .select_related("customer", "deal")
        .order_by("due_at", "-priority", "pk")
    )
    if not tasks:
        return 0, 0
    Task.objects.filter(pk__in=[task.pk for task in tasks]).update(reminded_at=now)
    count = len(tasks)
    text = ngettext("You have %(count)d task due today.", "You have %(count)d tasks due today.", count) % {
        "count": count
    }
    notification_create(user=assignee, text=text, url=reverse("sales:task-list") + "?when=today")
    if not assignee.email:
        return count, 0
    body = render_to_string("sales/task_reminder_email.txt", {"user": assignee, "tasks": tasks})
    send_mail(text, body, settings.DEFAULT_FROM_EMAIL, [assignee.email])
    return count, 1
