"""`manage.py api_token_create` prints a working token on its last line, and nothing secret before it."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from api.models import ApiToken


def run(*args) -> list[str]:
    out = StringIO()
    call_command("api_token_create", *args, stdout=out)
    return out.getvalue().strip().splitlines()


def test_the_command_prints_a_working_token_on_its_last_line(owner):
    lines = run("--user", owner.username, "--scopes", "read,write", "--apps", "customers,sales", "--name", "Shop")
    raw = lines[-1]
    token = ApiToken.objects.get(user=owner)
    assert (token.name, token.scopes, token.apps) == ("Shop", ["read", "write"], ["customers", "sales"])
    assert all(raw not in line and token.pk not in line for line in lines[:-1])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/v1/customers/").status_code == 200


def test_the_command_defaults_to_a_read_token_for_every_app(owner, settings):
    settings.CRM_API_TOKEN_DEFAULT_DAYS = 7
    run("--user", owner.username, "--days", "3")
    token = ApiToken.objects.get(user=owner)
    assert (token.scopes, token.apps) == (["read"], [])
    assert (token.expiry - token.created).days in (2, 3)


def test_an_unknown_user_or_scope_is_an_error(owner):
    with pytest.raises(CommandError, match="No active user"):
        run("--user", "nobody")
    with pytest.raises(CommandError, match="Unknown: admin"):
        run("--user", owner.username, "--scopes", "admin")
    assert not ApiToken.objects.exists()
