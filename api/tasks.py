"""Celery tasks of the API: housekeeping of stored Idempotency-Key responses."""

from celery import shared_task

from . import idempotency


@shared_task(name="api.idempotency_keys_prune")
def idempotency_keys_prune() -> int:
    return idempotency.keys_prune()
