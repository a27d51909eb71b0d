"""The token pages: created on the profile, shown once, revoked by their owner or an admin."""

import re

from django.urls import reverse
from rest_framework.test import APIClient

from api.models import ApiToken
from api.services.tokens import api_token_create

NEW_TOKEN = {"name": "Shop sync", "access": "write", "apps": ["customers"], "expires_in_days": "30"}


def shown_token(response) -> str:
    match = re.search(r'value="(crm_[^"]+)"', response.content.decode())
    assert match, "the new token is not on the page"
    return match.group(1)


def create_in_page(client) -> tuple[ApiToken, str]:
    response = client.post(reverse("api:token-create"), NEW_TOKEN)
    assert response.status_code == 200
    return ApiToken.objects.get(name="Shop sync"), shown_token(response)


def api_get(raw: str, url: str = "/api/v1/customers/"):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client.get(url)


def test_the_profile_page_has_the_token_section_and_a_link_to_the_docs(client_for, owner):
    page = client_for(owner).get(reverse("profile")).content.decode()
    assert 'id="api-tokens"' in page
    assert reverse("api:token-create") in page
    assert reverse("api:docs") in page


def test_a_new_token_is_shown_once_and_never_again(client_for, owner):
    client = client_for(owner)
    response = client.post(reverse("api:token-create"), NEW_TOKEN)
    token = ApiToken.objects.get(name="Shop sync")
    raw = shown_token(response)
    assert "will not be shown again" in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert (token.scopes, token.apps) == (["read", "write"], ["customers"])
    profile = client.get(reverse("profile")).content.decode()
    assert "Shop sync" in profile and token.token_key in profile
    assert raw not in profile
    assert all(raw not in str(value) for value in client.session.values())


def test_the_new_token_works_until_it_is_revoked_then_gets_401(client_for, owner):
    client = client_for(owner)
    token, raw = create_in_page(client)
    assert api_get(raw).status_code == 200
    response = client.post(reverse("api:token-revoke", args=[token.pk]))
    assert response.status_code == 302 and response["Location"].endswith("#api-tokens")
    assert not ApiToken.objects.filter(pk=token.pk).exists()
    assert api_get(raw).status_code == 401


def test_an_invalid_form_shows_its_errors_and_creates_nothing(client_for, owner, settings):
    settings.CRM_API_TOKEN_MAX_DAYS = 365
    response = client_for(owner).post(reverse("api:token-create"), {**NEW_TOKEN, "expires_in_days": "400"})
    assert response.status_code == 200
    assert "less than or equal to 365" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_a_user_cannot_see_or_revoke_another_users_token(client_for, owner, teammate):
    token, raw = api_token_create(user=teammate, name="Tom script", actor=teammate)
    client = client_for(owner)
    assert "Tom script" not in client.get(reverse("profile")).content.decode()
    assert client.post(reverse("api:token-revoke", args=[token.pk])).status_code == 404
    assert ApiToken.objects.filter(pk=token.pk).exists()
    assert api_get(raw).status_code == 200


def test_only_admins_see_every_users_tokens(client_for, owner, teammate, admin_user):
    api_token_create(user=teammate, name="Tom script", actor=teammate)
    assert client_for(owner).get(reverse("api:token-list")).status_code == 403
    page = client_for(admin_user).get(reverse("api:token-list")).content.decode()
    assert "Tom script" in page and str(teammate) in page


def test_an_admin_revokes_anyones_token_and_returns_to_the_list(client_for, teammate, admin_user):
    token, raw = api_token_create(user=teammate, name="Tom script", actor=teammate)
    back = reverse("api:token-list") + "?page=1"
    response = client_for(admin_user).post(reverse("api:token-revoke", args=[token.pk]), {"next": back})
    assert response.status_code == 302 and response["Location"] == back
    assert not ApiToken.objects.filter(pk=token.pk).exists()
    assert api_get(raw).status_code == 401


def test_revoking_does_not_redirect_off_site(client_for, owner):
    token, _raw = api_token_create(user=owner, name="Mine", actor=owner)
    response = client_for(owner).post(reverse("api:token-revoke", args=[token.pk]), {"next": "https://evil.example/"})
    assert response["Location"] == reverse("profile") + "#api-tokens"


def test_revoking_needs_a_post(client_for, owner):
    token, _raw = api_token_create(user=owner, name="Mine", actor=owner)
    assert client_for(owner).get(reverse("api:token-revoke", args=[token.pk])).status_code == 405
    assert ApiToken.objects.filter(pk=token.pk).exists()


def test_an_expired_token_is_listed_as_expired_and_refused(client_for, owner):
    token, raw = api_token_create(user=owner, name="Old", actor=owner)
    ApiToken.objects.filter(pk=token.pk).update(expiry=token.created)
    assert "expired" in client_for(owner).get(reverse("profile")).content.decode()
    assert api_get(raw).status_code == 401


def test_the_token_section_reads_in_turkish(client_for, owner):
    owner.language = "tr"
    owner.save(update_fields=["language"])
    page = client_for(owner).get(reverse("profile")).content.decode()
    assert "API anahtarları" in page


def test_the_navigation_links_the_api_docs_for_everyone_and_the_token_list_for_admins(client_for, owner, admin_user):
    rep_page = client_for(owner).get(reverse("home")).content.decode()
    assert reverse("api:docs") in rep_page and reverse("api:token-list") not in rep_page
    assert client_for(owner).get(reverse("api:docs")).status_code == 200
    assert reverse("api:token-list") in client_for(admin_user).get(reverse("home")).content.decode()


def test_posting_the_same_form_again_as_a_reload_does_makes_no_second_token(client_for, owner):
    client = client_for(owner)
    profile = client.get(reverse("profile")).content.decode()
    submission = re.search(r'name="submission" value="([^"]+)"', profile).group(1)
    first = client.post(reverse("api:token-create"), {**NEW_TOKEN, "submission": submission})
    again = client.post(reverse("api:token-create"), {**NEW_TOKEN, "submission": submission})
    assert first.status_code == 200 and shown_token(first).startswith("crm_")
    assert again.status_code == 302 and again["Location"] == reverse("profile") + "#api-tokens"
    assert shown_token(first) not in client.get(again["Location"]).content.decode()
    assert ApiToken.objects.filter(user=owner).count() == 1
