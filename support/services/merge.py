"""Merging a duplicate ticket into another: the thread moves, the source closes
with a link. Messages keep their Message-IDs, so a customer's later answer to
any mail of the old thread threads to the target."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from accounts.models import User

from ..models import OutboundEmail, Ticket, TicketAttachment, TicketEvent, TicketMessage
from . import tickets


def merge_refusal(*, source: Ticket, target: Ticket) -> str | None:
    if source.pk == target.pk:
        return _("A ticket cannot be merged into itself.")
    if target.merged_into_id:
        return _("Ticket #%(ticket)s was itself merged into another ticket; merge into that one.") % {
            "ticket": target.pk
        }
    if source.merged_into_id:
        return _("This ticket was already merged.")
    return None


@transaction.atomic
def ticket_merge(*, source: Ticket, target: Ticket, actor: User) -> Ticket:
    """Move messages, attachments, mails and events of `source` to `target`, then close
    `source` with `merged_into`, an event on each side and a note linking to the target.
    The caller checked that the actor may work both tickets."""
    # Lock both rows in one order, so two merges of the same pair cannot interleave.
    locked = {t.pk: t for t in Ticket.objects.select_for_update().filter(pk__in=[source.pk, target.pk]).order_by("pk")}
    source.merged_into_id = locked[source.pk].merged_into_id
    target.merged_into_id = locked[target.pk].merged_into_id
    refusal = merge_refusal(source=source, target=target)
    if refusal:
        raise ValidationError(refusal, code="refused")
    for model in (TicketMessage, TicketAttachment, OutboundEmail, TicketEvent):
        model.objects.filter(ticket=source).update(ticket=target)
    _carry_over(source=source, target=target, actor=actor)
    tickets.ticket_event(ticket=target, actor=actor, action="merged_from", old=str(source.pk))
    source.merged_into = target
    source.save(update_fields=["merged_into", "updated_at"])
    tickets.ticket_set_status(ticket=source, status=Ticket.Status.CLOSED, actor=actor)
    tickets.ticket_event(ticket=source, actor=actor, action="merged_into", new=str(target.pk))
    TicketMessage.objects.create(
        ticket=source,
        author=actor,
        kind=TicketMessage.Kind.INTERNAL,
        body=_("Merged into ticket #%(ticket)s: /support/tickets/%(ticket)s/") % {"ticket": target.pk},
    )
    return target


def _carry_over(*, source: Ticket, target: Ticket, actor: User) -> None:
    """The target keeps the source's tags and its latest customer message time."""
    tags = list(source.tags.all())
    if tags:
        tickets.ticket_add_tags(ticket=target, tags=tags, actor=actor)
    latest = target.messages.filter(from_customer=True).aggregate(at=Max("created_at"))["at"]
    if latest and (target.last_customer_message_at is None or latest > target.last_customer_message_at):
        Ticket.objects.filter(pk=target.pk).update(last_customer_message_at=latest)
        target.last_customer_message_at = latest
