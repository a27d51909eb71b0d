"""Rate limits for the pages anyone may post to without a login (the support
help pages, lead forms, unsubscribe links).

A fixed window per key in Django's cache (Redis in production, so every web
process counts together; in-process memory in the embedded set-up): the first
hit starts a window, each hit adds one, and past the limit the page answers 429
until the window ends. Keys are hashed, so an email address is never a cache key."""

import hashlib
from collections.abc import Iterable

from axes.helpers import get_client_ip_address
from django.core.cache import cache


def client_ip(request) -> str:
    """The address the log-in throttle (django-axes) uses, so both agree behind a proxy."""
    return get_client_ip_address(request) or request.META.get("REMOTE_ADDR", "") or "unknown"


def over_limit(*, scope: str, keys: Iterable[str], limit: int, window_seconds: int = 3600) -> bool:
    """Count one attempt under every key; True when any of them is past `limit` in its window."""
    counts = [_hit(f"{scope}:{key}", window_seconds) for key in keys if key]
    return any(count > limit for count in counts)


def _hit(key: str, window_seconds: int) -> int:
    name = "throttle:" + hashlib.sha256(key.encode()).hexdigest()
    cache.add(name, 0, timeout=window_seconds)
    try:
        return cache.incr(name)
    except ValueError:  # the window ended between add and incr
        cache.set(name, 1, timeout=window_seconds)
        return 1
