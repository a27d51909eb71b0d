"""What the sales app adds to other apps' pages, registered in settings:
the deals and orders cards on the customer's page (CRM_CUSTOMER_PANELS), and
"my day" and the team's sales cards on the role homes (CRM_HOME_CARDS), with the
sections higher apps register for them (CRM_MY_DAY_SECTIONS, sales.registry)."""

from django.urls import reverse

from accounts import roles
from crm_project.home import HomeCard
from customers.registry import CustomerPanel

from .registry import my_day_sections
from .selectors.deals import customer_deals_for_user, may_create_deal_for, may_use_sales
from .selectors.forecast import manager_overview
from .selectors.orders import customer_order_totals, customer_orders_recent
from .selectors.todos import my_day


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


MY_DAY_CARDS = ("my_tasks", "my_deals_closing", "my_deals_stuck", "my_leads")
TEAM_CARDS = ("team_pipeline", "team_deals_closing", "team_overdue_tasks", "team_activity", "leaderboard")


LAZY_SECTION_TEMPLATE = "sales/partials/home/lazy_section.html"


def home_cards(*, request, role) -> list[HomeCard]:
    """Reps get "my day"; managers and admins the team's sales figures (one read for all cards).
    Both start with the sections other apps register, the day's first stop."""
    if role == roles.SALES_REP:
        context = my_day(user=request.user)
        cards = [HomeCard(f"sales/partials/home/{name}.html", context) for name in MY_DAY_CARDS]
    elif role in (roles.ADMIN, roles.MANAGER):
        context = manager_overview(user=request.user)
        cards = [HomeCard(f"sales/partials/home/{name}.html", context, "col-md-6 col-xl-4") for name in TEAM_CARDS]
    else:
        return []
    return [*_section_cards(request), *cards]


def _section_cards(request) -> list[HomeCard]:
    cards = []
    for section in my_day_sections():
        if section.lazy:
            if section.shown_to is None or section.shown_to(request):
                cards.append(HomeCard(LAZY_SECTION_TEMPLATE, {"section": section}, section.width))
            continue
        context = section.context(request)
        if context is not None:
            cards.append(HomeCard(section.template, context, section.width))
    return cards
