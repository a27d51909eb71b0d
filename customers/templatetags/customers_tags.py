from django import template

from customers import timeline

register = template.Library()

KIND_ICONS = {
    "call": "telephone",
    "email": "envelope",
    "meeting": "people",
    "note": "sticky",
    "system": "clock-history",
}


@register.filter
def kind_icon(kind: str) -> str:
    return KIND_ICONS.get(kind, "dot")


@register.filter
def sentence(entry) -> str:
    """A timeline entry as a sentence in the reader's language (system entries are stored as an action and data)."""
    return timeline.entry_sentence(entry)
