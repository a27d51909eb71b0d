from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from accounts import roles
from crm_project.navigation import NavItem


class SupportConfig(AppConfig):
    name = "support"
    verbose_name = _("Support")


# Entries of the side navigation (settings.CRM_NAVIGATION orders the apps).
NAV_ITEMS = (NavItem(_("Tickets"), "home", "life-preserver", (roles.SUPPORT_AGENT, roles.MANAGER), soon=True),)
