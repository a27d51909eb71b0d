"""How higher apps add sections to the user's profile page without `accounts` knowing them.

`accounts` is the lowest app, so it imports none of the others. settings.CRM_PROFILE_SECTIONS
lists dotted paths to `ProfileSection`s (e.g. the API's "API tokens"), shown below the
profile form in that order.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.module_loading import import_string
from django.utils.safestring import SafeString


@dataclass(frozen=True)
class ProfileSection:
    """A card on the profile page: `context(request)` fills `template`; `html_id` is
    the card's id, so links (`/accounts/profile/#api-tokens`) and tests can find it."""

    html_id: str
    template: str
    context: Callable[[HttpRequest], dict]

    def render(self, request: HttpRequest) -> SafeString:
        return render_to_string(self.template, {"html_id": self.html_id, **self.context(request)}, request=request)


def profile_sections() -> list[ProfileSection]:
    return [import_string(dotted) for dotted in getattr(settings, "CRM_PROFILE_SECTIONS", [])]
