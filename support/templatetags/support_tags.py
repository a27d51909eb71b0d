"""Small template helpers of the support pages."""

from django import template
from django.utils import timezone

from ..tables import sla_cell

register = template.Library()


@register.simple_tag
def sla_countdown(ticket):
    """The ticket's SLA countdown as the list shows it (needs the annotated `sla_due`)."""
    return sla_cell(ticket, timezone.now())
