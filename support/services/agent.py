"""Tickets an agent opens by hand (a phone call, or on the customer's behalf)."""

from django.db import transaction

from accounts.models import User
from customers.models import Customer

from ..models import Queue, Ticket
from . import tickets


@transaction.atomic
def ticket_open_by_agent(
    *,
    customer: Customer | None,
    email: str,
    name: str,
    queue: Queue,
    subject: str,
    body: str,
    priority: str,
    channel: str,
    actor: User,
) -> Ticket:
    """Open a ticket for the customer picked, or the one with this email (created if
    there is none). A phone call records the customer's words (from the customer: the
    queue's receipt with their link goes out); otherwise the first message is the agent's."""
    if customer is None:
        customer = tickets.customer_for_address(email=email, name=name)
    return tickets.ticket_open(
        customer=customer,
        queue=queue,
        subject=subject,
        body=body,
        channel=channel,
        priority=priority,
        actor=actor,
        from_customer=channel == Ticket.Channel.PHONE,
    )
