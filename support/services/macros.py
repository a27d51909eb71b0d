"""Macros: saved replies with fixed placeholders, and the actions applied with them.

The placeholders are replaced by plain string substitution, never by Django's
template engine: a macro's text is written by users and must not reach template
tags ("{% load %}" stays literal, as does any placeholder not listed here)."""

import re

from django.db import transaction

from accounts.models import User

from ..models import Macro, Ticket
from . import tickets

PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+\.[a-z_]+)\s*\}\}")


def macro_values(*, ticket: Ticket, agent: User) -> dict[str, str]:
    customer = ticket.customer
    return {
        "customer.first_name": customer.first_name,
        "customer.last_name": customer.last_name,
        "customer.email": customer.email,
        "ticket.id": str(ticket.pk),
        "ticket.subject": ticket.subject,
        "agent.first_name": agent.first_name,
    }


def macro_render(*, macro: Macro, ticket: Ticket, agent: User) -> str:
    values = macro_values(ticket=ticket, agent=agent)
    return PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), macro.body)


@transaction.atomic
def macro_apply(*, macro: Macro, ticket: Ticket, actor: User) -> Ticket:
    """The macro's actions, each through its ticket service (so each writes its event)."""
    tickets.ticket_event(ticket=ticket, actor=actor, action="macro_applied", new=macro.name)
    if macro.assign_to_me:
        tickets.ticket_assign(ticket=ticket, assignee=actor, actor=actor)
    tags = list(macro.add_tags.all())
    if tags:
        tickets.ticket_add_tags(ticket=ticket, tags=tags, actor=actor)
    if macro.set_status:
        tickets.ticket_set_status(ticket=ticket, status=macro.set_status, actor=actor)
    return ticket
