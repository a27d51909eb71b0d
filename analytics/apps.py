from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from accounts import roles
from crm_project.navigation import NavItem


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = _("Analytics")


# Entries of the side navigation (settings.CRM_NAVIGATION orders the apps).
NAV_ITEMS = (
    NavItem(_("Analytics"), "analytics:overview", "bar-chart", (roles.MANAGER,)),
    NavItem(_("RFM segments"), "analytics:rfm", "grid-3x3", (roles.MANAGER,)),
    NavItem(_("Cohorts"), "analytics:cohorts", "calendar3", (roles.MANAGER,)),
    NavItem(_("Lifetime value"), "analytics:clv", "graph-up-arrow", (roles.MANAGER,)),
)
