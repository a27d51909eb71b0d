"""The ticket page's reply box: one post is a reply or an internal note, its
files, and the actions of the macro it was written with."""

from collections.abc import Sequence

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from accounts.models import User

from ..models import Macro, Ticket, TicketMessage
from . import attachments, macros, tickets


@transaction.atomic
def reply_post(
    *,
    ticket: Ticket,
    actor: User,
    body: str,
    kind: str,
    uploads: Sequence[UploadedFile] = (),
    macro: Macro | None = None,
) -> TicketMessage:
    """All or nothing: a file over the limit (ValidationError) leaves no message and no mail."""
    message = tickets.ticket_reply(ticket=ticket, actor=actor, body=body, kind=kind)
    for upload in uploads:
        attachments.attachment_add(ticket=ticket, message=message, upload=upload, actor=actor)
    if macro is not None:
        macros.macro_apply(macro=macro, ticket=ticket, actor=actor)
    return message
