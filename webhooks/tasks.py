"""Celery tasks of the webhook outbox (delivery is built in webhooks.services.delivery)."""


def deliveries_enqueue(delivery_ids: list[int]) -> None:
    """Send these deliveries soon (after the commit that created them)."""
    # Filled in by the delivery work: one task per batch of ids.
