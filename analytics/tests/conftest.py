import importlib

import pytest
from django.apps import apps
from django.core.cache import cache


@pytest.fixture
def default_segments(django_db_blocker):
    """The default segment rules; transactional tests flush what migrations created."""
    migration = importlib.import_module("analytics.migrations.0002_default_segments_and_nightly_run")
    migration.create_defaults(apps, None)


@pytest.fixture(autouse=True)
def _empty_cache():
    """Cohorts and movement are cached; every test starts and ends without them."""
    cache.clear()
    yield
    cache.clear()
