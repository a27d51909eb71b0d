"""Admins upload an .eml file into the support inbox (InboundEmail's admin list links here)."""

from django.contrib import admin, messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts import roles

from ..forms.inbound import InboundUploadForm
from ..models import InboundEmail
from ..services import inbound


@require_http_methods(["GET", "POST"])
def inbound_upload(request):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not roles.is_admin(request.user):
        raise PermissionDenied
    form = InboundUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        row = inbound.email_ingest(
            raw=form.cleaned_data["file"].read(), queue=form.cleaned_data["queue"], source="upload"
        )
        _report(request, row)
        return redirect(_row_url(row))
    context = {**admin.site.each_context(request), "form": form, "title": _("Upload an email")}
    return render(request, "support/inbound_upload.html", context)


def _report(request, row: InboundEmail) -> None:
    text = _("Email %(number)d: %(outcome)s.") % {"number": row.pk, "outcome": row.get_outcome_display()}
    if row.ticket_id:
        text += " " + _("Ticket #%(number)d.") % {"number": row.ticket_id}
    if row.outcome == InboundEmail.Outcome.REJECTED:
        messages.error(request, f"{text} {row.reason}")
    else:
        messages.success(request, text)


def _row_url(row: InboundEmail) -> str:
    """The row's admin page when the admin has InboundEmail registered, else another upload."""
    try:
        return reverse("admin:support_inboundemail_change", args=[row.pk])
    except NoReverseMatch:
        return reverse("support:inbound-upload")
