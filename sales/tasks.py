"""Background jobs of the sales app: the order import and the daily to-do reminders."""

from celery import shared_task
from django.db import OperationalError
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from imports import services as kit
from imports.tasks import refuse_if_rejected, upload_used_by_job
from jobs.services import job_enqueue, job_succeed
from jobs.tasks import JobTask

from .services import order_import
from .services.todos import ReminderSendError, task_reminders_send


@shared_task(
    base=JobTask, bind=True, name="sales.import_orders",
    label=_("Order import"),
    autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3,
)  # fmt: skip
def orders_import_file(
    self, file_name: str, filename: str, options: dict, actor_id: int | None, expected_rows: int | None = None
):
    """Import a stored upload; report progress and return {created, updated, skipped, new_customers}.

    Safe to run twice: the counts are recorded on the job's row inside the import's
    own transaction, so a redelivered run finds them and returns without importing
    again (rows without an order_ref would otherwise become orders twice)."""
    if self.job_run is not None and self.job_run.counts:
        kit.upload_delete(file_name)
        return self.job_run.counts
    actor = User.objects.get(pk=actor_id, is_active=True) if actor_id else None
    record = (lambda result: job_succeed(self.job_run, counts=result.counts)) if self.job_run else None
    with upload_used_by_job(file_name):
        result = order_import.orders_import(
            table=kit.table_open(file_name, kind=order_import.ORDERS, display_name=filename), filename=filename,
            actor=actor, skip_errors=bool(options.get("skip_errors")),
            create_missing_customers=bool(options.get("create_missing_customers")), progress=self.progress,
            expected_rows=expected_rows, on_written=record,
        )  # fmt: skip
        refuse_if_rejected(result)
    return result.counts


def orders_import_enqueue(*, stored_name: str, filename: str, options: dict, actor: User, expected_rows: int):
    """Run a large import as the background job `sales.import_orders` (sent after commit)."""
    return job_enqueue(
        task=orders_import_file,
        actor=actor,
        kwargs={
            "file_name": stored_name,
            "filename": filename,
            "options": options,
            "actor_id": actor.pk,
            "expected_rows": expected_rows,
        },
    )


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
