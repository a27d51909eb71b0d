import pytest

from webhooks.models import WebhookEndpoint
from webhooks.receiver import Receiver


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


@pytest.fixture
def private_allowed(settings):
    """The tests' receivers listen on 127.0.0.1."""
    settings.CRM_WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True


@pytest.fixture
def make_endpoint(db, manager):
    def make(url: str, events=("customer.created",), **fields) -> WebhookEndpoint:
        return WebhookEndpoint.objects.create(name="Shop", url=url, events=list(events), owner=manager, **fields)

    return make
