"""What analytics adds to other apps' pages, registered in settings
(CRM_CUSTOMER_PANELS): the RFM card on the customer's page."""

from accounts import roles
from customers.registry import CustomerPanel

from .selectors.rfm import rfm_customer_history


def _rfm_context(request, customer) -> dict:
    """The customer's scores in the kept runs, newest first (one query)."""
    history = rfm_customer_history(customer)
    return {
        "customer": customer,
        "current": history[0] if history else None,
        "history": history,
        "may_see_report": roles.is_manager_or_admin(request.user),
    }


RFM_PANEL = CustomerPanel(
    html_id="rfm-panel", template="analytics/partials/customer_rfm_panel.html", context=_rfm_context
)
