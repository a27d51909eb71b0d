"""Background jobs for tasks: the daily reminder (on beat, see CELERY_BEAT_SCHEDULE)."""

from celery import shared_task
from django.db import OperationalError
from django.utils.translation import gettext_lazy as _

from jobs.tasks import JobTask

from .services.todos import ReminderSendError, task_reminders_send

__all__ = ["task_reminders"]


@shared_task(
    base=JobTask, bind=True, name="sales.task_reminders",
    label=_("Task reminders"),
    autoretry_for=(ReminderSendError, OperationalError), retry_backoff=60, retry_backoff_max=1800, max_retries=5,
)  # fmt: skip
def task_reminders(self):
    """Email and notify each assignee of their open tasks due today, once a day.

    Idempotent (see task_reminders_send): a retry or a second run the same day
    only reaches the assignees whose reminder has not gone out yet. When some
    emails failed, the job retries with backoff so those go out later today.
    """
    counts = task_reminders_send()
    if counts["failed"]:
        raise ReminderSendError(f"{counts['failed']} assignee(s) could not be emailed; retrying. Sent: {counts}")
    return counts
