"""What support adds to other apps' pages, registered in settings
(CRM_CUSTOMER_PANELS). Until tickets land, the customer's page shows
that they are coming."""

from django.utils.translation import gettext_lazy as _

from customers.registry import CustomerPanel


def _coming_soon_context(request, customer) -> dict:
    return {"title": _("Tickets"), "text": _("Support requests from this customer.")}


TICKETS_PANEL = CustomerPanel(
    html_id="tickets-panel", template="partials/coming_soon_card.html", context=_coming_soon_context
)
