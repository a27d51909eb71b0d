"""Small filters of the analytics templates."""

from django import template

from ..selectors.clv import p_alive_phrase as phrase

register = template.Library()


@register.filter
def p_alive_phrase(p_alive: float | None) -> str:
    """0.93 → "very likely still active" (the bands of analytics.selectors.clv.P_ALIVE_PHRASES)."""
    return "" if p_alive is None else phrase(p_alive)


@register.filter
def percent(share: float | None) -> str:
    """0.934 → "93 %" (whole per cent, as the report writes shares)."""
    return "" if share is None else f"{round(100 * share)} %"
