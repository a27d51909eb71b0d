"""What analytics adds to other apps' pages, registered in settings: the RFM and lifetime-value
cards on the customer's page (CRM_CUSTOMER_PANELS), the RFM card on the manager's home
(CRM_HOME_CARDS), and the next best action on "My day" and the team overview (CRM_MY_DAY_SECTIONS)."""

from django.conf import settings
from django.urls import reverse

from accounts import roles
from crm_project.home import HomeCard
from customers.registry import CustomerPanel
from sales.registry import MyDaySection

from .selectors.clv_report import clv_customer_latest_score
from .selectors.next_action import next_actions
from .selectors.rfm import rfm_customer_history, rfm_run_get, rfm_segment_sizes


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


def _clv_context(request, customer) -> dict:
    """The customer's score in the latest kept CLV run (one query); the card is left out without one."""
    return {
        "score": clv_customer_latest_score(customer),
        "currency": settings.CRM_CURRENCY,
        "may_see_report": roles.is_manager_or_admin(request.user),
    }


CLV_PANEL = CustomerPanel(
    html_id="clv-panel", template="analytics/partials/customer_clv_panel.html", context=_clv_context
)


def home_cards(*, request, role) -> list[HomeCard]:
    """Managers and admins: segment sizes of the latest run and their change since the one before."""
    if role not in (roles.ADMIN, roles.MANAGER):
        return []
    run = rfm_run_get(None)
    context = {"run": run, "sizes": rfm_segment_sizes(run)}
    return [HomeCard("analytics/partials/home_rfm.html", context, "col-md-6 col-xl-4")]


def _gets_next_actions(request) -> bool:
    return roles.is_sales_rep(request.user) or roles.is_manager_or_admin(request.user)


def _next_action_context(request) -> dict | None:
    """Reps: their own customers to contact today; managers and admins: their teams' (with the owner)."""
    user = request.user
    if not _gets_next_actions(request):
        return None
    return {
        "actions": next_actions(user=user),
        "team": roles.is_manager_or_admin(user),
        "currency": settings.CRM_CURRENCY,
        "back": reverse("home"),  # where "Log call" and "Create task" return to
    }


# Lazy: a cold ranking reads every signal over the viewer's customers (seconds for a manager of
# 100,000), so the home shows at once and the section follows.
NEXT_ACTION_SECTION = MyDaySection(
    slug="next-best-action",
    template="analytics/partials/home_next_action.html",
    context=_next_action_context,
    lazy=True,
    shown_to=_gets_next_actions,
)
