"""The side navigation: each entry names the roles that may use it.

Apps add their entries here as they land; an entry marked `soon` is shown
disabled with a "coming soon" badge so users see what is planned.
"""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts import roles

ANY = "any"
ADMIN = "admin"


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    icon: str
    roles: tuple[str, ...]
    soon: bool = False

    def visible_for(self, user) -> bool:
        if ANY in self.roles:
            return True
        if roles.is_admin(user):
            return True
        return bool(set(self.roles) & roles.roles_of(user))


NAV_ITEMS = (
    NavItem(_("Home"), "home", "house", (ANY,)),
    NavItem(_("Customers"), "customers:customer-list", "people", (roles.SALES_REP, roles.SUPPORT_AGENT, roles.MANAGER)),
    NavItem(
        _("Companies"), "customers:company-list", "building", (roles.SALES_REP, roles.SUPPORT_AGENT, roles.MANAGER)
    ),
    NavItem(_("Pipeline"), "sales:pipeline", "kanban", (roles.SALES_REP, roles.MANAGER)),
    NavItem(_("Deals"), "sales:deal-list", "briefcase", (roles.SALES_REP, roles.MANAGER)),
    NavItem(_("Leads"), "sales:lead-list", "person-lines-fill", (roles.SALES_REP, roles.MANAGER)),
    NavItem(_("Tasks"), "sales:task-list", "check2-square", (roles.SALES_REP, roles.MANAGER)),
    NavItem(_("Orders"), "sales:order-list", "receipt", (roles.SALES_REP, roles.MANAGER, roles.SUPPORT_AGENT)),
    NavItem(_("Forecast"), "sales:forecast", "graph-up-arrow", (roles.SALES_REP, roles.MANAGER)),
    NavItem(_("Tickets"), "home", "life-preserver", (roles.SUPPORT_AGENT, roles.MANAGER), soon=True),
    NavItem(_("Campaigns"), "home", "envelope", (roles.MANAGER,), soon=True),
    NavItem(_("Analytics"), "analytics:overview", "bar-chart", (roles.MANAGER,)),
    NavItem(_("RFM segments"), "analytics:rfm", "grid-3x3", (roles.MANAGER,)),
    NavItem(_("Cohorts"), "analytics:cohorts", "calendar3", (roles.MANAGER,)),
    NavItem(_("Job log"), "jobs:list", "clock-history", (roles.MANAGER,)),
)


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    visible = [(item, reverse(item.url_name)) for item in NAV_ITEMS if item.visible_for(user)]
    active_url = _best_match(request.path, [url for item, url in visible if not item.soon])
    items = [{"item": item, "url": url, "active": not item.soon and url == active_url} for item, url in visible]
    return {"nav_items": items, "is_admin": roles.is_admin(user)}


def _best_match(path: str, urls: list[str]) -> str | None:
    """The longest entry URL that the current path starts with ("/" only for itself)."""
    matches = [url for url in urls if (path == url if url == "/" else path.startswith(url))]
    return max(matches, key=len, default=None)
