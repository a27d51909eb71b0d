"""/marketing/: counts and links to every area (segments, templates, campaigns, forms, sequences)."""

from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from ..models import Campaign, EmailTemplate, LeadForm, Segment, Sequence
from ..permissions import marketing_required

# (label, icon, URL name, the path to use until that area's pages exist, model)
AREAS = (
    (gettext_noop("Segments"), "people", "marketing:segment-list", "/marketing/segments/", Segment),
    (
        gettext_noop("Email templates"),
        "file-earmark-text",
        "marketing:template-list",
        "/marketing/templates/",
        EmailTemplate,
    ),
    (gettext_noop("Campaigns"), "envelope", "marketing:campaign-list", "/marketing/campaigns/", Campaign),
    (gettext_noop("Lead forms"), "ui-checks", "marketing:form-list", "/marketing/forms/", LeadForm),
    (gettext_noop("Sequences"), "signpost-split", "marketing:sequence-list", "/marketing/sequences/", Sequence),
)


def _url(name: str, fallback: str) -> str:
    try:
        return reverse(name)
    except NoReverseMatch:  # that area's pages are built by another helper
        return fallback


@marketing_required
def home(request):
    cards = [
        {"label": _(label), "icon": icon, "url": _url(name, path), "count": model.objects.count()}
        for label, icon, name, path, model in AREAS
    ]
    return render(request, "marketing/home.html", {"cards": cards, "crumbs": [(_("Marketing"), None)]})
