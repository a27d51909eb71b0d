"""Log-in throttling on top of django-axes.

Axes locks a (username, IP address) pair after AXES_FAILURE_LIMIT failures, so a
typo-prone colleague never locks anyone else out. On its own that lets one
address try a common password against every username without ever slowing
down, so an address is also locked once its failures across all usernames reach
CRM_LOGIN_IP_FAILURE_LIMIT (higher: an office shares one address)."""

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum


class LoginThrottle(AxesDatabaseHandler):
    def is_locked(self, request, credentials: dict | None = None) -> bool:
        return super().is_locked(request, credentials) or self.ip_failures(request) >= ip_failure_limit()

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        super().user_login_failed(sender, credentials, request, **kwargs)
        # Axes answers with its lock-out page only when the failure handler flags the request.
        if request is not None and self.ip_failures(request) >= ip_failure_limit():
            request.axes_locked_out = True
            request.axes_credentials = credentials

    def ip_failures(self, request) -> int:
        attempts = AccessAttempt.objects.filter(
            ip_address=request.axes_ip_address, attempt_time__gte=get_cool_off_threshold(request)
        )
        return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


def ip_failure_limit() -> int:
    return settings.CRM_LOGIN_IP_FAILURE_LIMIT
