"""What marketing adds to other apps' pages, registered in settings: the
campaigns card on the customer's page (CRM_CUSTOMER_PANELS). The card is
shown to everyone who may open the customer: what was sent to a customer is
part of their record, like their orders."""

from customers.registry import CustomerPanel

from .selectors.tracking import customer_campaigns


def _campaigns_context(request, customer) -> dict:
    return {"customer": customer, "campaign_messages": customer_campaigns(customer=customer)}


CAMPAIGNS_PANEL = CustomerPanel(
    html_id="campaigns-panel", template="marketing/partials/customer_campaigns_panel.html", context=_campaigns_context
)
