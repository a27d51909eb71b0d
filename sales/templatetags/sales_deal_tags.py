"""Template tags for the deals panel on the customer page."""

from django import template

register = template.Library()


@register.inclusion_tag("sales/partials/customer_deals_panel.html", takes_context=True)
def customer_deals_panel(context, customer):
    return {"customer": customer, "request": context.get("request")}
