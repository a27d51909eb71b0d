"""Template tags for the orders panel on the customer page."""

from django import template

register = template.Library()


@register.inclusion_tag("sales/partials/customer_orders_panel.html", takes_context=True)
def customer_orders_panel(context, customer):
    return {"customer": customer, "request": context.get("request")}
