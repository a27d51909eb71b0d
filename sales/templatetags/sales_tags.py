"""Template tags of the sales app: money and durations."""

from decimal import Decimal

from django import template
from django.template.defaultfilters import floatformat
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..badges import STATUS_BADGES

register = template.Library()


@register.filter
def money(amount, currency=""):
    """`{{ deal.amount|money:deal.currency }}` → "1,250.00 EUR" (grouping follows the language)."""
    if amount is None or amount == "":
        return ""
    return f"{floatformat(Decimal(amount), '2g')} {currency}".strip()


@register.filter
def days(value) -> str:
    """A timedelta as a number of whole days ("3 days", "less than a day")."""
    if value is None:
        return ""
    if value.days < 1:
        return _("less than a day")
    return ngettext("%(count)d day", "%(count)d days", value.days) % {"count": value.days}


@register.filter
def order_money(amount: Decimal | None, currency: str = "") -> str:
    """An amount with two decimals, grouped for the active language, and its currency."""
    if amount is None:
        return ""
    text = number_format(amount, decimal_pos=2, use_l10n=True, force_grouping=True)
    return f"{text} {currency}".strip()


@register.filter
def status_badge(record) -> str:
    """`{{ deal|status_badge }}`: a lead's, deal's or order's status as its badge (sales.badges)."""
    return STATUS_BADGES[type(record)].html(record.status)
