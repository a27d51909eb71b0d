"""The RFM panel on the customer page."""

from django import template

from accounts import roles

from ..selectors.rfm import rfm_customer_history

register = template.Library()


@register.inclusion_tag("analytics/partials/customer_rfm_panel.html", takes_context=True)
def customer_rfm_panel(context, customer):
    """The customer's scores in the kept runs, newest first (one query)."""
    request = context.get("request")
    history = rfm_customer_history(customer)
    return {
        "customer": customer,
        "current": history[0] if history else None,
        "history": history,
        "may_see_report": roles.is_manager_or_admin(request.user) if request else False,
    }
