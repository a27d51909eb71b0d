from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from accounts import roles
from crm_project.navigation import NavItem


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = _("Customers")


# Entries of the side navigation (settings.CRM_NAVIGATION orders the apps).
NAV_ITEMS = (
    NavItem(_("Customers"), "customers:customer-list", "people", (roles.SALES_REP, roles.SUPPORT_AGENT, roles.MANAGER)),
    NavItem(
        _("Companies"), "customers:company-list", "building", (roles.SALES_REP, roles.SUPPORT_AGENT, roles.MANAGER)
    ),
)
