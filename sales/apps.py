from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from accounts import roles
from crm_project.navigation import NavItem


class SalesConfig(AppConfig):
    name = "sales"
    verbose_name = _("Sales")


# Entries of the side navigation (settings.CRM_NAVIGATION orders the apps).
NAV_ITEMS = (
    NavItem(_("Pipeline"), "sales:pipeline", "kanban", (roles.SALES_REP, roles.MANAGER)),
    NavItem(_("Deals"), "sales:deal-list", "briefcase", (roles.SALES_REP, roles.MANAGER)),
    NavItem(_("Leads"), "sales:lead-list", "person-lines-fill", (roles.SALES_REP, roles.MANAGER)),
    NavItem(_("Tasks"), "sales:task-list", "check2-square", (roles.SALES_REP, roles.MANAGER)),
    NavItem(_("Orders"), "sales:order-list", "receipt", (roles.SALES_REP, roles.MANAGER, roles.SUPPORT_AGENT)),
    NavItem(_("Forecast"), "sales:forecast", "graph-up-arrow", (roles.SALES_REP, roles.MANAGER)),
)
