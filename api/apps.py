from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from crm_project.navigation import ADMIN, ANY, NavItem

# Everyone may script the CRM with a token; admins also see every user's tokens.
NAV_ITEMS = (
    NavItem(_("API docs"), "api:docs", "code-slash", (ANY,)),
    NavItem(_("API tokens"), "api:token-list", "key", (ADMIN,)),
)


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = _("API")

    def ready(self) -> None:
        # Registers the token scheme with drf-spectacular (an import with a side effect, by its design).
        from . import schema  # noqa: F401
