"""Role checks for views. Record-level checks live in crm_project.access."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from accounts.roles import is_manager_or_admin


class ManagerOrAdminRequiredMixin:
    """Anonymous users go to the login page; other roles get 403."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_manager_or_admin(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]  # a mixin: the view supplies dispatch


def manager_or_admin_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_manager_or_admin(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper
