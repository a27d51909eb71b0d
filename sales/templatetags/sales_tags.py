"""Template tags of the sales app: the deals and orders panels on the customer page, money and durations."""

from decimal import Decimal

from django import template
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..selectors.orders import customer_order_totals, customer_orders_recent

register = template.Library()


@register.inclusion_tag("sales/partials/customer_deals_panel.html", takes_context=True)
def customer_deals_panel(context, customer):
    """The customer's deals that the viewer may see, and "New deal" for those who may open one."""
    from sales.selectors.deals import customer_deals_for_user, may_create_deal_for, may_use_sales

    request = context.get("request")
    user = request.user
    return {
        "customer": customer,
        "request": request,
        "deals": customer_deals_for_user(user=user, customer=customer),
        "may_create": may_create_deal_for(user, customer),
        "may_list": may_use_sales(user),
    }


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


@register.inclusion_tag("sales/partials/customer_orders_panel.html", takes_context=True)
def customer_orders_panel(context, customer):
    """The customer's latest orders and lifetime totals (two queries, however many orders)."""
    request = context.get("request")
    user = request.user
    return {
        "customer": customer,
        "request": request,
        "orders": customer_orders_recent(user=user, customer=customer),
        "totals": customer_order_totals(user=user, customer=customer),
        "all_orders_url": f"{reverse('sales:order-list')}?customer={customer.pk}",
    }


@register.filter
def order_money(amount: Decimal | None, currency: str = "") -> str:
    """An amount with two decimals, grouped for the active language, and its currency."""
    if amount is None:
        return ""
    text = number_format(amount, decimal_pos=2, use_l10n=True, force_grouping=True)
    return f"{text} {currency}".strip()
