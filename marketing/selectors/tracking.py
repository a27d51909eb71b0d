"""Reads about what customers did with campaign mails."""

from django.db.models import Count, Q, QuerySet

from ..models import OutboxMessage, TrackingEvent

CUSTOMER_CAMPAIGNS_SHOWN = 10


def customer_campaigns(*, customer) -> QuerySet[OutboxMessage]:
    """The latest campaigns sent to the customer, with their opens and clicks (one query)."""
    kind = TrackingEvent.Kind
    return (
        OutboxMessage.objects.filter(
            customer=customer, status__in=[OutboxMessage.Status.SENT, OutboxMessage.Status.BOUNCED]
        )
        .select_related("campaign")
        .annotate(
            opens=Count("events", filter=Q(events__kind=kind.OPEN)),
            clicks=Count("events", filter=Q(events__kind=kind.CLICK)),
            unsubscribed=Count("events", filter=Q(events__kind=kind.UNSUBSCRIBE)),
        )
        .order_by("-sent_at", "-pk")[:CUSTOMER_CAMPAIGNS_SHOWN]
    )
