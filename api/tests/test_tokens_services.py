"""Creating and revoking personal access tokens: hashed, scoped, expiring, logged."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from accounts.models import Notification
from api.models import ApiToken
from api.selectors.tokens import api_token_get_for_user
from api.services.tokens import api_token_create, api_token_revoke


def test_a_token_is_stored_only_as_a_digest(owner):
    token, raw = api_token_create(user=owner, name="Shop sync", scopes=["read"], actor=owner)
    assert raw.startswith("crm_")
    row = ApiToken.objects.filter(pk=token.pk).values().get()
    assert row["digest"] != raw
    assert all(raw not in str(value) for value in row.values())


def test_expiry_defaults_to_the_setting_and_is_capped_at_the_maximum(owner, settings):
    settings.CRM_API_TOKEN_DEFAULT_DAYS, settings.CRM_API_TOKEN_MAX_DAYS = 90, 365
    default, _raw = api_token_create(user=owner, name="Default", actor=owner)
    long, _raw = api_token_create(user=owner, name="Long", expires_in_days=10_000, actor=owner)
    now = timezone.now()
    assert abs(default.expiry - (now + timedelta(days=90))) < timedelta(minutes=1)
    assert abs(long.expiry - (now + timedelta(days=365))) < timedelta(minutes=1)


def test_scopes_and_apps_are_kept_in_their_canonical_order(owner):
    token, _raw = api_token_create(
        user=owner, name="Both", scopes=["write", "read", "read"], apps=["sales", "customers"], actor=owner
    )
    assert token.scopes == ["read", "write"]
    assert token.apps == ["customers", "sales"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"scopes": ["admin"]}, "scopes"),
        ({"scopes": []}, "scopes"),
        ({"apps": ["payroll"]}, "apps"),
        ({"expires_in_days": 0}, "expires_in_days"),
        ({"name": "  "}, "name"),
    ],
)
def test_an_invalid_request_names_the_field_and_creates_nothing(owner, fields, field):
    with pytest.raises(ValidationError) as error:
        api_token_create(**{"user": owner, "name": "Script", "actor": owner, **fields})
    assert field in error.value.message_dict
    assert not ApiToken.objects.exists()


def test_a_user_cannot_create_a_token_for_someone_else_but_an_admin_can(owner, teammate, admin_user):
    with pytest.raises(PermissionDenied):
        api_token_create(user=teammate, name="Not mine", actor=owner)
    token, _raw = api_token_create(user=teammate, name="For Tom", actor=admin_user)
    assert token.user == teammate


def test_revoking_deletes_the_token_and_is_logged(owner, caplog):
    token, raw = api_token_create(user=owner, name="Old script", actor=owner)
    digest = token.pk
    with caplog.at_level("INFO", logger="crm.api"):
        api_token_revoke(token=token, actor=owner)
    assert not ApiToken.objects.filter(pk=digest).exists()
    assert "api token revoked" in caplog.text and "Old script" in caplog.text
    assert raw not in caplog.text and digest not in caplog.text


def test_an_admin_revoking_someones_token_tells_its_owner(owner, admin_user):
    token, _raw = api_token_create(user=owner, name="Nightly export", actor=owner)
    api_token_revoke(token=token, actor=admin_user)
    assert "Nightly export" in Notification.objects.get(user=owner).text


def test_the_access_helper_gives_the_owner_and_admins_the_token_and_others_a_404(owner, teammate, admin_user):
    token, _raw = api_token_create(user=owner, name="Mine", actor=owner)
    assert api_token_get_for_user(user=owner, pk=token.pk) == token
    assert api_token_get_for_user(user=admin_user, pk=token.pk) == token
    with pytest.raises(Http404):
        api_token_get_for_user(user=teammate, pk=token.pk)
