"""Who may use /marketing/: managers, marketers and admins; others get 403."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from accounts import roles


def may_market(user) -> bool:
    return roles.is_manager_or_admin(user) or roles.is_marketer(user)


def marketing_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not may_market(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


class MarketingRequiredMixin:
    """The class-view form of `marketing_required`."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not may_market(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]  # a mixin: the view supplies dispatch
