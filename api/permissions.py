from collections.abc import Callable
from typing import Any

from django.utils.functional import Promise
from rest_framework.permissions import SAFE_METHODS, BasePermission

from .models import READ, WRITE, ApiToken


class TokenScopes(BasePermission):
    """Reads need the token's `read` scope, writes its `write` scope, and the view's
    app must be one the token allows. Record-level access is the access helpers' job."""

    message = "This token's scopes do not allow this request."

    def has_permission(self, request, view) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        token = request.auth
        if not isinstance(token, ApiToken):
            # Only the schema and docs views accept a session (see api.urls).
            return True
        scope = READ if request.method in SAFE_METHODS else WRITE
        return token.allows(scope=scope, app=getattr(view, "api_app", None))


def role_required(check: Callable[[Any], bool], denied: str | Promise) -> type[BasePermission]:
    """A permission for a resource whose pages a role check guards (`may_market`,
    `is_manager_or_admin`, …): other roles get the 403 the page gives them. Records
    within the resource are still the access helpers' job (404 out of scope)."""

    class RoleRequired(BasePermission):
        message = denied

        def has_permission(self, request, view) -> bool:
            return bool(request.user and request.user.is_authenticated and check(request.user))

    return RoleRequired
