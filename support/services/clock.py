"""The SLA clock on a ticket's row: which policy applies, when the first
response and the resolution are due, pausing while the customer is awaited.
The business-time arithmetic is in `support.sla` (pure functions)."""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q

from .. import sla
from ..models import BusinessCalendar, SlaPolicy, Ticket


def calendar_for(ticket: Ticket) -> sla.Calendar:
    """The queue's business hours; a queue without a calendar runs around the clock."""
    calendar = ticket.queue.calendar
    if calendar is None:
        return sla.Calendar.always(ZoneInfo(settings.TIME_ZONE))
    return calendar_from_row(calendar)


def calendar_from_row(calendar: BusinessCalendar) -> sla.Calendar:
    holidays = [day.isoformat() for day in calendar.holidays.values_list("date", flat=True)]
    return sla.Calendar.from_spec(calendar.time_zone, calendar.weekly_hours, holidays)


def policy_for(ticket: Ticket) -> SlaPolicy | None:
    """The most specific active policy for the ticket's priority: queue and tag,
    then queue, then tag, then neither. None means no clock."""
    tag_ids = list(ticket.customer.tags.values_list("pk", flat=True))
    candidates = SlaPolicy.objects.filter(is_active=True, priority=ticket.priority).filter(
        Q(queue__isnull=True) | Q(queue=ticket.queue_id),
        Q(customer_tag__isnull=True) | Q(customer_tag__in=tag_ids),
    )
    return max(candidates, key=_specificity, default=None)


def _specificity(policy: SlaPolicy) -> tuple[int, int, int]:
    return (policy.queue_id is not None) + (policy.customer_tag_id is not None), policy.queue_id is not None, -policy.pk


def sla_start(*, ticket: Ticket) -> None:
    """(Re)compute the due times from the ticket's creation under the policy that now applies."""
    policy = policy_for(ticket)
    ticket.sla_policy = policy
    ticket.first_response_due = ticket.resolution_due = None
    if policy is not None:
        calendar = calendar_for(ticket)
        if policy.first_response_minutes is not None and ticket.first_responded_at is None:
            ticket.first_response_due = sla.add_business_minutes(
                ticket.created_at, policy.first_response_minutes, calendar
            )
        if policy.resolution_minutes is not None:
            ticket.resolution_due = sla.add_business_minutes(ticket.created_at, policy.resolution_minutes, calendar)
    Ticket.objects.filter(pk=ticket.pk).update(
        sla_policy=policy, first_response_due=ticket.first_response_due, resolution_due=ticket.resolution_due
    )


def sla_first_response(*, ticket: Ticket, at: datetime) -> None:
    ticket.first_responded_at = at
    ticket.first_response_minutes = sla.business_minutes_between(ticket.created_at, at, calendar_for(ticket))
    Ticket.objects.filter(pk=ticket.pk).update(
        first_responded_at=at, first_response_minutes=ticket.first_response_minutes
    )


def sla_pause(*, ticket: Ticket, at: datetime) -> None:
    """Waiting on the customer stops the clocks (the caller saves the ticket)."""
    ticket.sla_paused_at = at


def sla_resume(*, ticket: Ticket, at: datetime) -> None:
    """Push each due time by the business time the ticket spent waiting (the caller saves)."""
    paused_at = ticket.sla_paused_at
    ticket.sla_paused_at = None
    if paused_at is None:
        return
    calendar = calendar_for(ticket)
    if ticket.first_response_due and ticket.first_responded_at is None:
        ticket.first_response_due = sla.resume_due(
            due=ticket.first_response_due, paused_at=paused_at, resumed_at=at, calendar=calendar
        )
    if ticket.resolution_due:
        ticket.resolution_due = sla.resume_due(
            due=ticket.resolution_due, paused_at=paused_at, resumed_at=at, calendar=calendar
        )


def sla_solved(*, ticket: Ticket, at: datetime) -> None:
    """Stamp the solve and its business minutes (the caller saves)."""
    ticket.solved_at = at
    ticket.resolution_minutes = sla.business_minutes_between(ticket.created_at, at, calendar_for(ticket))
