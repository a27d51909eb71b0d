"""Writes for tickets and their threads. Every change writes a TicketEvent
(who, what, old → new); opening and solving also reach the customer's timeline
(never a message body)."""

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from crm_project.events import event_emit
from customers.models import Customer, Tag
from customers.services.customers import customer_create, timeline_record

from ..models import Priority, Queue, Ticket, TicketEvent, TicketMessage
from . import clock, outbound


def ticket_event(
    *, ticket: Ticket, actor: User | None, action: str, old: str = "", new: str = "", data: dict | None = None
) -> TicketEvent:
    return TicketEvent.objects.create(
        ticket=ticket, actor=actor, action=action, old_value=str(old)[:255], new_value=str(new)[:255], data=data or {}
    )


def customer_for_address(*, email: str, name: str = "") -> Customer:
    """The live customer with this email (oldest first), or a new one named after the sender."""
    existing = Customer.objects.filter(email__iexact=email).order_by("pk").first()
    if existing is not None:
        return existing
    first, _, last = name.strip().rpartition(" ")
    return customer_create(
        actor=None,
        first_name=first,
        last_name=(last or email.split("@")[0])[:100],
        email=email,
        source=Customer.Source.OTHER,
    )


@transaction.atomic
def ticket_open(
    *,
    customer: Customer,
    queue: Queue,
    subject: str,
    body: str,
    channel: str,
    actor: User | None = None,
    priority: str = Priority.NORMAL,
    from_customer: bool = True,
    message_fields: dict | None = None,
) -> Ticket:
    """Open a ticket with its first message. `message_fields` carries an inbound
    mail's headers and HTML (message_id, in_reply_to, references, body_html, …)."""
    ticket = Ticket.objects.create(
        subject=subject[:255] or "(no subject)",
        customer=customer,
        queue=queue,
        team=queue.team,
        priority=priority,
        channel=channel,
        created_by=actor,
        last_customer_message_at=timezone.now() if from_customer else None,
    )
    TicketMessage.objects.create(
        ticket=ticket,
        author=None if from_customer else actor,
        from_customer=from_customer,
        from_address=customer.email if from_customer else "",
        body=body,
        **(message_fields or {}),
    )
    clock.sla_start(ticket=ticket)
    ticket_event(ticket=ticket, actor=actor, action="created", new=ticket.status, data={"channel": channel})
    timeline_record(
        action="ticket.opened",
        actor=actor,
        customer=customer,
        data={"ticket": ticket.pk, "subject": ticket.subject[:120]},
    )
    event_emit("ticket.created", instance=ticket, actor=actor)
    if from_customer and queue.auto_acknowledge:
        outbound.outbound_acknowledge(ticket=ticket)
    return ticket


@transaction.atomic
def ticket_reply(*, ticket: Ticket, actor: User, body: str, kind: str = TicketMessage.Kind.PUBLIC) -> TicketMessage:
    """An agent's reply (mailed to the customer) or internal note (never leaves the CRM).
    A reply to an unassigned ticket assigns it to the agent who wrote it."""
    message = TicketMessage.objects.create(ticket=ticket, author=actor, kind=kind, body=body)
    if kind == TicketMessage.Kind.INTERNAL:
        ticket_event(ticket=ticket, actor=actor, action="note_added", data={"message": message.pk})
        return message
    if ticket.first_responded_at is None:
        clock.sla_first_response(ticket=ticket, at=message.created_at)
    if ticket.status == Ticket.Status.NEW:
        ticket_set_status(ticket=ticket, status=Ticket.Status.OPEN, actor=actor)
    if ticket.assignee_id is None:
        # Whoever answers an unassigned ticket owns it (and its satisfaction score).
        ticket_assign(ticket=ticket, assignee=actor, actor=actor)
    ticket_event(ticket=ticket, actor=actor, action="replied", data={"message": message.pk})
    outbound.outbound_reply(message=message)
    return message


@transaction.atomic
def ticket_customer_reply(
    *, ticket: Ticket, body: str, from_address: str = "", from_name: str = "", message_fields: dict | None = None
) -> TicketMessage:
    """The customer answered (by mail or through their link): a waiting or solved ticket opens again."""
    message = TicketMessage.objects.create(
        ticket=ticket,
        from_customer=True,
        from_address=from_address or ticket.customer.email,
        from_name=from_name,
        body=body,
        **(message_fields or {}),
    )
    Ticket.objects.filter(pk=ticket.pk).update(last_customer_message_at=message.created_at)
    ticket.last_customer_message_at = message.created_at
    if ticket.status in (Ticket.Status.PENDING, Ticket.Status.SOLVED):
        ticket_set_status(ticket=ticket, status=Ticket.Status.OPEN, actor=None)
    ticket_event(ticket=ticket, actor=None, action="customer_replied", data={"message": message.pk})
    return message


@transaction.atomic
def ticket_set_status(*, ticket: Ticket, status: str, actor: User | None) -> Ticket:
    old = ticket.status
    if status == old:
        return ticket
    now = timezone.now()
    ticket.status = status
    if old == Ticket.Status.PENDING:
        clock.sla_resume(ticket=ticket, at=now)
    if status == Ticket.Status.PENDING:
        clock.sla_pause(ticket=ticket, at=now)
    if status == Ticket.Status.SOLVED:
        clock.sla_solved(ticket=ticket, at=now)
    elif status in Ticket.UNSOLVED_STATUSES:
        ticket.solved_at = None
    ticket.save()
    ticket_event(ticket=ticket, actor=actor, action="status", old=old, new=status)
    if status == Ticket.Status.SOLVED:
        timeline_record(
            action="ticket.solved",
            actor=actor,
            customer=ticket.customer,
            data={"ticket": ticket.pk, "subject": ticket.subject[:120]},
        )
        event_emit("ticket.solved", instance=ticket, actor=actor, data={"from_status": old})
        outbound.outbound_survey(ticket=ticket)
    return ticket


@transaction.atomic
def ticket_assign(*, ticket: Ticket, assignee: User | None, actor: User | None) -> Ticket:
    old = ticket.assignee
    if old == assignee:
        return ticket
    ticket.assignee = assignee
    ticket.save(update_fields=["assignee", "updated_at"])
    ticket_event(
        ticket=ticket,
        actor=actor,
        action="assignee",
        old=str(old or ""),
        new=str(assignee or ""),
        data={"from": old.pk if old else None, "to": assignee.pk if assignee else None},
    )
    return ticket


@transaction.atomic
def ticket_set_priority(*, ticket: Ticket, priority: str, actor: User | None) -> Ticket:
    old = ticket.priority
    if old == priority:
        return ticket
    ticket.priority = priority
    ticket.save(update_fields=["priority", "updated_at"])
    clock.sla_start(ticket=ticket)
    ticket_event(ticket=ticket, actor=actor, action="priority", old=old, new=priority)
    return ticket


@transaction.atomic
def ticket_move(*, ticket: Ticket, queue: Queue, actor: User | None) -> Ticket:
    old = ticket.queue
    if old == queue:
        return ticket
    ticket.queue = queue
    ticket.team = queue.team
    ticket.save(update_fields=["queue", "team", "updated_at"])
    clock.sla_start(ticket=ticket)
    ticket_event(ticket=ticket, actor=actor, action="queue", old=old.name, new=queue.name)
    return ticket


@transaction.atomic
def ticket_add_tags(*, ticket: Ticket, tags: Iterable[Tag], actor: User | None) -> Ticket:
    present = set(ticket.tags.values_list("pk", flat=True))
    for tag in tags:
        if tag.pk not in present:
            ticket.tags.add(tag)
            ticket_event(ticket=ticket, actor=actor, action="tag_added", new=tag.name)
    return ticket


@transaction.atomic
def ticket_remove_tag(*, ticket: Ticket, tag: Tag, actor: User | None) -> Ticket:
    if ticket.tags.filter(pk=tag.pk).exists():
        ticket.tags.remove(tag)
        ticket_event(ticket=ticket, actor=actor, action="tag_removed", old=tag.name)
    return ticket
