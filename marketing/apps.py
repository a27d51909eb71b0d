from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from accounts import roles
from crm_project.navigation import NavItem


class MarketingConfig(AppConfig):
    name = "marketing"
    verbose_name = _("Marketing")


# Entries of the side navigation (settings.CRM_NAVIGATION orders the apps).
NAV_ITEMS = (NavItem(_("Campaigns"), "home", "envelope", (roles.MANAGER,), soon=True),)
