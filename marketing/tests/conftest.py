import pytest
from django.core.cache import cache

from accounts import roles
from accounts.tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _empty_cache():
    # The form rate limit counts in the cache; every test starts at zero.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def marketer(db):
    return UserFactory(username="mia", first_name="Mia", role=roles.MARKETER)
