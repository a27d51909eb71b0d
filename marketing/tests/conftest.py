import importlib

import pytest
from django.apps import apps
from django.core.cache import cache
from django.utils import timezone

from accounts import roles
from accounts.tests.factories import UserFactory
from analytics.models import RfmRun, RfmScore
from analytics.services.rfm import _finish, rfm_cell_segments
from customers.tests.factories import CustomerFactory


@pytest.fixture(autouse=True)
def _empty_cache():
    # The form rate limit counts in the cache; every test starts at zero.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def marketer(db):
    return UserFactory(username="mia", first_name="Mia", role=roles.MARKETER)


@pytest.fixture
def rfm_run(db):
    """A run with two At Risk customers (R2 F4) and one Champion (R5 F5), and its summary."""
    migration = importlib.import_module("analytics.migrations.0002_default_segments_and_nightly_run")
    migration.create_defaults(apps, None)  # transactional tests flush what migrations created
    run = RfmRun.objects.create(as_of=timezone.now().date())
    people = [("Grace", "Hopper", 2, 4), ("Alan", "Turing", 2, 4), ("Ada", "Lovelace", 5, 5)]
    cells = rfm_cell_segments()
    for first, last, r, f in people:
        customer = CustomerFactory(first_name=first, last_name=last)
        RfmScore.objects.create(run=run, customer=customer, recency_days=1, frequency=f, monetary=1, r_score=r,
                                f_score=f, m_score=3, segment_id=cells[f"{r}{f}"])  # fmt: skip
    _finish(run, cells, 0)
    return run
