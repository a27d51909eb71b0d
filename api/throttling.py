"""Rate limits per token: a burst rate and a sustained one (REST_FRAMEWORK's
DEFAULT_THROTTLE_RATES, from CRM_API_RATE_BURST and CRM_API_RATE_SUSTAINED).
DRF answers 429 with `Retry-After`."""

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from .models import ApiToken


class TokenBurstThrottle(SimpleRateThrottle):
    scope = "burst"

    def get_rate(self) -> str | None:
        # Read at each request, not at import, so settings overrides apply.
        rates: dict = api_settings.DEFAULT_THROTTLE_RATES
        return rates.get(self.scope)

    def get_cache_key(self, request, view) -> str:
        if isinstance(request.auth, ApiToken):
            ident = f"token-{request.auth.pk[:32]}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = f"ip-{self.get_ident(request)}"
        return f"api-throttle-{self.scope}-{ident}"


class TokenSustainedThrottle(TokenBurstThrottle):
    scope = "sustained"
