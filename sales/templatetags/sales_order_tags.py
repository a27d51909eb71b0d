"""Template tags for orders: the orders panel on the customer page and money display."""

from decimal import Decimal

from django import template
from django.urls import reverse
from django.utils.formats import number_format

from ..selectors.orders import customer_order_totals, customer_orders_recent

register = template.Library()


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
