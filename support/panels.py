"""What support adds to other apps' pages, registered in settings: the
"Support" card on the customer's page (CRM_CUSTOMER_PANELS) and the cards
on the role homes (CRM_HOME_CARDS)."""

from accounts import roles
from crm_project.home import HomeCard
from customers.registry import CustomerPanel

from .selectors.lists import agent_home, customer_support_for_user, may_use_support, support_backlog


def _support_context(request, customer) -> dict:
    """The customer's tickets the viewer may see (a sales rep: their customers', read-only)."""
    user = request.user
    return {
        "customer": customer,
        "support": customer_support_for_user(user=user, customer=customer),
        "may_list": may_use_support(user),
        "may_create": may_use_support(user),
    }


TICKETS_PANEL = CustomerPanel(
    html_id="tickets-panel", template="support/partials/customer_support_panel.html", context=_support_context
)


def home_cards(*, request, role) -> list[HomeCard]:
    """Agents: their three ticket cards; managers and admins: the backlog of their queues."""
    if role == roles.SUPPORT_AGENT:
        return [
            HomeCard("support/partials/home_card.html", {"card": card}, "col-md-6 col-xl-4")
            for card in agent_home(user=request.user)
        ]
    if role in (roles.ADMIN, roles.MANAGER):
        context = {"backlog": support_backlog(user=request.user)}
        return [HomeCard("support/partials/home_backlog.html", context, "col-md-6 col-xl-4")]
    return []
