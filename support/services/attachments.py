"""Files on a ticket. The stored name is random (`ticket_attachment_path`); the
uploader's name is only shown and offered as the download's file name."""

import mimetypes

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from accounts.models import User

from ..mail import sanitise_filename
from ..models import Ticket, TicketAttachment, TicketMessage


def attachment_size_error(upload: UploadedFile) -> str | None:
    """The refusal for a file over CRM_ATTACHMENT_MAX_BYTES, or None; forms show it as a field error."""
    limit = settings.CRM_ATTACHMENT_MAX_BYTES
    if (upload.size or 0) <= limit:
        return None
    return _("“%(name)s” is too large (%(size)s); the limit is %(limit)s.") % {
        "name": upload.name,
        "size": filesizeformat(upload.size or 0),
        "limit": filesizeformat(limit),
    }


@transaction.atomic
def attachment_add(
    *, ticket: Ticket, message: TicketMessage | None, upload: UploadedFile, actor: User | None
) -> TicketAttachment:
    error = attachment_size_error(upload)
    if error:
        raise ValidationError(error, code="too_large")
    content_type = upload.content_type or mimetypes.guess_type(upload.name or "")[0] or "application/octet-stream"
    name = sanitise_filename(upload.name or "", content_type=content_type)
    return TicketAttachment.objects.create(
        ticket=ticket,
        message=message,
        file=upload,
        original_name=name,
        size=upload.size or 0,
        content_type=content_type[:100],
    )
