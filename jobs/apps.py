from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from accounts import roles
from crm_project.navigation import NavItem


class JobsConfig(AppConfig):
    name = "jobs"
    verbose_name = _("Background jobs")


# Entries of the side navigation (settings.CRM_NAVIGATION orders the apps).
NAV_ITEMS = (NavItem(_("Job log"), "jobs:list", "clock-history", (roles.MANAGER,)),)
