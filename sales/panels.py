"""What the sales app adds to other apps' pages, registered in settings
(CRM_CUSTOMER_PANELS): the deals and orders cards on the customer's page."""

from django.urls import reverse

from customers.registry import CustomerPanel

from .selectors.deals import customer_deals_for_user, may_create_deal_for, may_use_sales
from .selectors.orders import customer_order_totals, customer_orders_recent


def _deals_context(request, customer) -> dict:
    """The customer's deals that the viewer may see, and "New deal" for those who may open one."""
    user = request.user
    return {
        "customer": customer,
        "deals": customer_deals_for_user(user=user, customer=customer),
        "may_create": may_create_deal_for(user, customer),
        "may_list": may_use_sales(user),
    }


def _orders_context(request, customer) -> dict:
    """The customer's latest orders and lifetime totals (two queries, however many orders)."""
    user = request.user
    return {
        "customer": customer,
        "orders": customer_orders_recent(user=user, customer=customer),
        "totals": customer_order_totals(user=user, customer=customer),
        "all_orders_url": f"{reverse('sales:order-list')}?customer={customer.pk}",
    }


DEALS_PANEL = CustomerPanel(
    html_id="deals-panel", template="sales/partials/customer_deals_panel.html", context=_deals_context
)
ORDERS_PANEL = CustomerPanel(
    html_id="orders-panel", template="sales/partials/customer_orders_panel.html", context=_orders_context
)
