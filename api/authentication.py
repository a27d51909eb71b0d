"""Bearer personal access tokens (django-rest-knox), with their last use recorded."""

from django.conf import settings
from django.utils import timezone
from knox.auth import TokenAuthentication

from .models import ApiToken


class ApiTokenAuthentication(TokenAuthentication):
    """`Authorization: Bearer crm_…`. An expired token is refused but kept, so its
    owner and the admins still see it (knox would delete every expired token of the
    user on each request, one query per token)."""

    def _cleanup_token(self, auth_token: ApiToken) -> bool:
        return auth_token.is_expired

    def validate_user(self, auth_token: ApiToken):
        user, token = super().validate_user(auth_token)
        _touch(token)
        return user, token


def _touch(token: ApiToken) -> None:
    # Written at most once a minute: a busy script must not turn reads into writes.
    now = timezone.now()
    last = token.last_used_at
    if last is None or (now - last).total_seconds() >= settings.CRM_API_LAST_USED_INTERVAL:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
