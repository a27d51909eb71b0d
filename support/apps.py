from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from accounts import roles
from crm_project.navigation import NavItem


class SupportConfig(AppConfig):
    name = "support"
    verbose_name = _("Support")


# Entries of the side navigation (settings.CRM_NAVIGATION orders the apps).
# Sales reps read their customers' tickets on the customer page; the list and home are for those who work them.
NAV_ITEMS = (
    NavItem(_("Support home"), "support:home", "life-preserver", (roles.SUPPORT_AGENT, roles.MANAGER)),
    NavItem(_("Tickets"), "support:ticket-list", "ticket-detailed", (roles.SUPPORT_AGENT, roles.MANAGER)),
    NavItem(_("Knowledge base"), "support:kb-list", "journal-text", (roles.SUPPORT_AGENT, roles.MANAGER)),
    NavItem(_("Support dashboard"), "support:dashboard", "speedometer2", (roles.MANAGER,)),
    NavItem(_("Customer satisfaction"), "support:csat-report", "emoji-smile", (roles.MANAGER,)),
)
