"""The admin's .eml upload (the same ingest as the MTA pipe and IMAP)."""

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from ..models import Queue


class InboundUploadForm(forms.Form):
    file = forms.FileField(label=_("Email (.eml)"), help_text=_("A whole message as saved by a mail client."))
    queue = forms.ModelChoiceField(
        label=_("Queue"),
        queryset=Queue.objects.filter(is_active=True),
        required=False,
        empty_label=_("By the address it was sent to"),
        help_text=_("Where a new ticket opens; replies thread onto their ticket whatever this says."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.CRM_SUPPORT_MAX_EMAIL_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                _("The file is larger than %(limit)s.") % {"limit": filesizeformat(limit)}, code="too_large"
            )
        return upload
