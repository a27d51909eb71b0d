from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from accounts import roles
from crm_project.navigation import NavItem


class MarketingConfig(AppConfig):
    name = "marketing"
    verbose_name = _("Marketing")

    def ready(self) -> None:
        from analytics.signals import rfm_run_finished

        from .receivers import rfm_run_finished_refresh_segments

        rfm_run_finished.connect(rfm_run_finished_refresh_segments, dispatch_uid="marketing-segments-after-rfm")


# Entries of the side navigation (settings.CRM_NAVIGATION orders the apps).
NAV_ITEMS = (
    NavItem(_("Marketing"), "marketing:home", "envelope", (roles.MANAGER, roles.MARKETER)),
    NavItem(_("Segments"), "marketing:segment-list", "people", (roles.MANAGER, roles.MARKETER)),
)
