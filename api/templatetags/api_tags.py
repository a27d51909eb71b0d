"""Small filters for the token pages."""

from django import template
from django.utils.translation import gettext as _

from ..models import APPS, WRITE

register = template.Library()


@register.filter
def token_access(scopes: list[str]) -> str:
    return _("Read and write") if WRITE in scopes else _("Read")


@register.filter
def token_apps(apps: list[str]) -> str:
    """The app names, or "All apps" for an unrestricted token."""
    return ", ".join(str(APPS.get(app, app)) for app in apps) if apps else _("All apps")
