"""The "API tokens" section of the profile page (settings.CRM_PROFILE_SECTIONS)."""

from django.http import HttpRequest

from accounts.registry import ProfileSection

from .forms.tokens import ApiTokenForm
from .selectors.tokens import api_tokens_of_user


def _tokens_context(request: HttpRequest) -> dict:
    return {"tokens": api_tokens_of_user(user=request.user), "form": ApiTokenForm()}


TOKENS_SECTION = ProfileSection(
    html_id="api-tokens", template="api/partials/tokens_section.html", context=_tokens_context
)
