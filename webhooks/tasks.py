"""Celery tasks of the webhook outbox (the work is in webhooks.services.delivery).

Both are plain Celery tasks, not job-log rows (a burst of 10,000 events would be
200 rows, beat's sweep 5,760 a day); the delivery log shows what happened. acks_late and reject_on_worker_lost
come from the settings, as for every task; the lease on the rows makes a redelivered
batch harmless."""

from celery import shared_task
from django.db import OperationalError

from .services import delivery


def deliveries_enqueue(delivery_ids: list[int]) -> None:
    """Send these deliveries soon (called after the commit that created them)."""
    delivery.deliveries_enqueue(ids=delivery_ids)


@shared_task(
    name="webhooks.deliveries_send",
    autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5,
)  # fmt: skip
def deliveries_send(ids: list[int]):
    """Send a batch of deliveries. Idempotent: rows already delivered or held by a live worker are skipped."""
    return delivery.deliveries_send(ids=ids)


# A plain task, not a job-log row: beat runs it every 15 seconds.
@shared_task(name="webhooks.deliveries_due")
def deliveries_due():
    """Beat: queue the retries that are due and the deliveries a dead worker held."""
    return delivery.deliveries_due()


@shared_task(name="webhooks.prune")
def prune():
    """Beat, daily: forget events whose every delivery ended more than CRM_WEBHOOKS_KEEP_DAYS ago."""
    return delivery.events_prune()
