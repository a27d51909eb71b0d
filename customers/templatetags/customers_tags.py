from django import template
from django.utils.translation import gettext_lazy as _

register = template.Library()

KIND_ICONS = {
    "call": "telephone",
    "email": "envelope",
    "meeting": "people",
    "note": "sticky",
    "system": "clock-history",
}

# Audit entries store a dotted action; show it in the reader's language.
ACTION_LABELS = {
    "customer.created": _("Customer created"),
    "customer.updated": _("Details changed"),
    "customer.reassigned": _("Owner changed"),
    "customer.deleted": _("Customer deleted"),
    "customer.restored": _("Customer restored"),
    "customer.tagged": _("Tag added"),
    "customer.imported": _("Imported"),
    "customer.merged": _("Merged with a duplicate"),
    "customer.merged_away": _("Merged into another record"),
    "consent.changed": _("Email consent changed"),
    "attachment.added": _("File attached"),
    "company.created": _("Company created"),
    "company.updated": _("Company details changed"),
    "company.deleted": _("Company deleted"),
    "deal.created": _("Deal opened"),
    "deal.updated": _("Deal changed"),
    "deal.stage_changed": _("Deal moved"),
    "deal.won": _("Deal won"),
    "deal.lost": _("Deal lost"),
    "order.created": _("Order created from a won deal"),
    "lead.converted": _("Converted from a lead"),
    "lead.created": _("Lead created"),
    "lead.assigned": _("Lead assigned"),
    "lead.status_changed": _("Lead status changed"),
}


@register.filter
def kind_icon(kind: str) -> str:
    return KIND_ICONS.get(kind, "dot")


@register.filter
def action_label(entry) -> str:
    return ACTION_LABELS.get(entry.action, entry.summary)


# Actions whose stored summary only repeats the label.
ACTIONS_WITHOUT_DETAIL = {
    "customer.created",
    "customer.deleted",
    "customer.restored",
    "company.created",
    "company.deleted",
    "customer.imported",
}


@register.filter
def action_detail(entry) -> str:
    return "" if entry.action in ACTIONS_WITHOUT_DETAIL else entry.summary
