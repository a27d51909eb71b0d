"""The side navigation: each entry names the roles that may use it.

Each app declares its entries (`NAV_ITEMS` in its apps.py) and settings.CRM_NAVIGATION
lists them in menu order, so the kernel names no app. An entry marked `soon` is
shown disabled with a "coming soon" badge so users see what is planned.
"""

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from accounts import roles

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

ANY = "any"
ADMIN = "admin"


@dataclass(frozen=True)
class NavItem:
    label: "StrOrPromise"
    url_name: str
    icon: str
    roles: tuple[str, ...]
    soon: bool = False

    def visible_for(self, user) -> bool:
        if ANY in self.roles:
            return True
        if roles.is_admin(user):
            return True
        return bool(set(self.roles) & roles.roles_of(user))


HOME_ITEMS = (NavItem(_("Home"), "home", "house", (ANY,)),)


@functools.cache
def nav_items() -> tuple[NavItem, ...]:
    return tuple(item for dotted in settings.CRM_NAVIGATION for item in import_string(dotted))


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    visible = [(item, _url(item.url_name)) for item in nav_items() if item.visible_for(user)]
    active_url = _best_match(request.path, [url for item, url in visible if not item.soon])
    items = [{"item": item, "url": url, "active": not item.soon and url == active_url} for item, url in visible]
    # The active entry names the cached side navigation (base.html) with the user.
    return {"nav_items": items, "nav_active_url": active_url, "is_admin": roles.is_admin(user)}


def _url(url_name: str) -> str:
    """reverse(), once per URL configuration and script prefix: every page shows the menu."""
    return _reversed(url_name, get_urlconf(), get_script_prefix())


@functools.lru_cache(maxsize=256)
def _reversed(url_name: str, urlconf: str | None, prefix: str) -> str:
    return reverse(url_name, urlconf=urlconf)


def _best_match(path: str, urls: list[str]) -> str | None:
    """The longest entry URL that the current path starts with ("/" only for itself)."""
    matches = [url for url in urls if (path == url if url == "/" else path.startswith(url))]
    return max(matches, key=len, default=None)
