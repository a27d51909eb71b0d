"""Rate limits per token: a burst rate and a sustained one (REST_FRAMEWORK's
DEFAULT_THROTTLE_RATES "burst" and "sustained", from CRM_API_RATE_BURST and
CRM_API_RATE_SUSTAINED), answered with 429 and `Retry-After`.

One counter per fixed window and rate, both counted in a single cache round trip
(a Redis pipeline). DRF's own throttles keep a list of every request's time in the
window, read and written whole on each request: two round trips per rate, and at
the sustained rate of 20,000 a day, a list of 20,000 floats. A fixed window lets
a client spend up to twice a rate across a window's edge; `Retry-After` says when
the window ends.
"""

import time

from django.core.cache import cache
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from .models import ApiToken

SCOPES = ("burst", "sustained")
PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """'120/min' -> (120, 60): DRF's notation, the period's first letter counts."""
    count, period = rate.split("/")
    return int(count), PERIODS[period[0]]


class TokenRateThrottle(BaseThrottle):
    def __init__(self) -> None:
        self._wait: float | None = None

    def allow_request(self, request, view) -> bool:
        # Read at each request, not at import, so settings overrides apply.
        rates: dict = api_settings.DEFAULT_THROTTLE_RATES
        now = time.time()
        windows = []  # (cache key, allowed, seconds until the window ends)
        for scope in SCOPES:
            if rates.get(scope):
                allowed, duration = parse_rate(rates[scope])
                start = int(now // duration) * duration
                windows.append(
                    (f"api-throttle-{scope}-{self._ident(request)}-{start}", allowed, start + duration - now)
                )
        counts = _count(windows)
        waits = [left for (_key, allowed, left), count in zip(windows, counts, strict=True) if count > allowed]
        self._wait = max(waits, default=None)
        return self._wait is None

    def wait(self) -> float | None:
        return self._wait

    def _ident(self, request) -> str:
        if isinstance(request.auth, ApiToken):
            return f"token-{request.auth.pk[:32]}"
        if request.user and request.user.is_authenticated:
            return f"user-{request.user.pk}"
        return f"ip-{self.get_ident(request)}"


def _count(windows: list[tuple[str, int, float]]) -> list[int]:
    """Add one to each window's counter and return the counts: one pipeline on Redis,
    add + incr per counter on other caches (tests, the embedded set-up)."""
    client = _redis_client()
    if client is None:
        counts = []
        for key, _allowed, left in windows:
            cache.add(key, 0, timeout=int(left) + 1)
            counts.append(cache.incr(key))
        return counts
    pipeline = client.pipeline(transaction=False)
    for key, _allowed, left in windows:
        full_key = cache.make_key(key)
        pipeline.incr(full_key)
        pipeline.expire(full_key, int(left) + 1)
    return pipeline.execute()[::2]


def _redis_client():
    backend = getattr(cache, "_cache", None)
    get_client = getattr(backend, "get_client", None)
    return get_client(write=True) if get_client else None
