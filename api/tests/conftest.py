"""API clients for the personas: a DRF test client carrying a real token of the user."""

from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from api.models import ApiToken


def token_for(user, *, scopes=("read", "write"), apps=(), expiry=timedelta(days=30)) -> str:
    _, raw = ApiToken.objects.create(user, expiry=expiry, name="test", scopes=list(scopes), apps=list(apps))
    return raw


def client_for(user, **token_options) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user, **token_options)}")
    return client


@pytest.fixture
def api_client():
    """`api_client(user, scopes=("read",), apps=("sales",))` -> a client with that token."""
    return client_for
