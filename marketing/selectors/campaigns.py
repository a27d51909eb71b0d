"""Reads for the template and campaign pages."""

from django.db.models import Count
from django.shortcuts import get_object_or_404

from customers.models import Customer

from ..models import Campaign, EmailTemplate, OutboxMessage


def template_list():
    # A list shows names and subjects: the bodies (often tens of kB each) stay in the database.
    return EmailTemplate.objects.select_related("created_by").defer("html", "text").order_by("name")


def template_get(*, pk: int) -> EmailTemplate:
    return get_object_or_404(EmailTemplate, pk=pk)


def campaign_list():
    return (
        Campaign.objects.select_related("template")
        .defer("template__html", "template__text", "template__subject")
        .order_by("-created_at", "-pk")
    )


def campaign_get(*, pk: int) -> Campaign:
    return get_object_or_404(Campaign.objects.select_related("template"), pk=pk)


def campaign_progress(*, campaign: Campaign) -> dict:
    """Outbox rows by status (one GROUP BY on the (campaign, status) index), with the totals the page shows."""
    counts = dict(
        OutboxMessage.objects.filter(campaign=campaign)
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    by_status = {status: counts.get(status, 0) for status in OutboxMessage.Status.values}
    to_send = sum(n for status, n in by_status.items() if status != OutboxMessage.Status.HOLDOUT)
    done = to_send - by_status["pending"] - by_status["claimed"]
    return {
        "by_status": [(OutboxMessage.Status(status).label, n) for status, n in by_status.items()],
        "to_send": to_send,
        "done": done,
        "percent": round(100 * done / to_send) if to_send else 0,
    }


def preview_customer(*, pk: int | None) -> Customer | None:
    """The customer a preview is filled with: the chosen one, else the first with an email."""
    customers = Customer.objects.select_related("company")
    if pk:
        return customers.filter(pk=pk).first()
    return customers.exclude(email="").order_by("pk").first()
