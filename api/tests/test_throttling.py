"""Rate limits per token: burst and sustained, counted in one cache round trip, 429 with Retry-After."""

import os

import pytest

from api.tests.conftest import client_for

URL = "/api/v1/customers/"


@pytest.fixture(params=["locmem", "redis"])
def cache_backend(request, settings):
    """Both ways of counting: add + incr (locmem), and the Redis pipeline."""
    if request.param == "redis":
        url = os.environ.get("REDIS_URL")
        if not url:
            pytest.skip("REDIS_URL is not set")
        settings.CACHES = {"default": {"BACKEND": "crm_project.cache.RedisCache", "LOCATION": url}}
        from django.core.cache import cache

        cache.clear()
    return request.param


def rates(settings, *, burst: str, sustained: str) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"burst": burst, "sustained": sustained},
    }


def test_past_the_burst_rate_a_token_gets_429_until_the_minute_ends(owner, settings, cache_backend):
    rates(settings, burst="2/min", sustained="1000/day")
    client = client_for(owner)
    assert [client.get(URL).status_code for _ in range(3)] == [200, 200, 429]
    retry_after = int(client.get(URL)["Retry-After"])
    assert 0 < retry_after <= 61


def test_past_the_sustained_rate_the_wait_is_until_the_day_ends(owner, settings, cache_backend):
    rates(settings, burst="100/min", sustained="3/day")
    client = client_for(owner)
    assert [client.get(URL).status_code for _ in range(4)] == [200, 200, 200, 429]
    assert 0 < int(client.get(URL)["Retry-After"]) <= 86_401


def test_each_token_has_its_own_counters(owner, settings, cache_backend):
    rates(settings, burst="1/min", sustained="1000/day")
    busy = client_for(owner)
    busy.get(URL)
    assert busy.get(URL).status_code == 429
    assert client_for(owner).get(URL).status_code == 200
