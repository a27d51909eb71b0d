from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from accounts import roles
from crm_project.navigation import NavItem


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = _("Webhooks")


# Entries of the side navigation (settings.CRM_NAVIGATION orders the apps); admins see every entry.
NAV_ITEMS = (NavItem(_("Webhooks"), "webhooks:endpoint-list", "broadcast", (roles.MANAGER,)),)
