"""Reads for the webhook pages: endpoints with their counts, the delivery log, one delivery."""

from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from accounts.roles import is_manager_or_admin

from ..models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

Status = WebhookDelivery.Status


def _require_manager(user) -> None:
    """Endpoints belong to the whole CRM: managers and admins keep them, nobody else sees them."""
    if not is_manager_or_admin(user):
        raise PermissionDenied


def endpoint_list_for_user(*, user) -> QuerySet[WebhookEndpoint]:
    _require_manager(user)
    return WebhookEndpoint.objects.select_related("owner").annotate(
        failed_count=_count_with_status(Status.FAILED),
        waiting_count=_count_with_status(Status.PENDING, Status.DELIVERING),
    )


def _count_with_status(*statuses: str):
    """A subquery per endpoint over the status index: the log's delivered rows (most of
    them, kept for ever) are never counted."""
    rows = (
        WebhookDelivery.objects.filter(endpoint=OuterRef("pk"), status__in=statuses)
        .order_by()
        .values("endpoint")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows), 0)


def endpoint_get_for_user(*, user, pk: int) -> WebhookEndpoint:
    """The access helper: 403 below manager, 404 for a missing endpoint."""
    _require_manager(user)
    return get_object_or_404(WebhookEndpoint.objects.select_related("owner"), pk=pk)


def delivery_log(*, endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    """The endpoint's deliveries, newest first, each with its attempts (one query for a page's attempts)."""
    attempts = WebhookAttempt.objects.order_by("started_at", "pk")
    return (
        WebhookDelivery.objects.filter(endpoint=endpoint)
        .select_related("event")
        .prefetch_related(Prefetch("attempts", queryset=attempts))
        .order_by("-created_at", "-pk")
    )


def delivery_get_for_user(*, user, pk: int) -> WebhookDelivery:
    _require_manager(user)
    return get_object_or_404(WebhookDelivery.objects.select_related("event", "endpoint"), pk=pk)
