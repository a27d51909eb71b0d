"""A rep makes a token on their profile, copies it, a script uses it, then they revoke it."""

import httpx
import pytest
from playwright.sync_api import expect

from customers.tests.factories import CustomerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_rep_creates_copies_uses_and_revokes_a_token(login_in_browser, owner, live_server):
    CustomerFactory(owner=owner, first_name="Grace", last_name="Hopper", email="grace@navy.example")
    page = login_in_browser(owner)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page.get_by_role("button", name=str(owner)).click()
    page.get_by_role("link", name="Profile").click()

    section = page.locator("#api-tokens")
    section.get_by_label("Name").fill("Shop sync")
    section.get_by_label("Read", exact=True).check()
    section.get_by_label("Customers").check()
    section.get_by_label("Expires in (days)").fill("30")
    section.get_by_role("button", name="Create token").click()

    expect(page.get_by_role("alert")).to_contain_text("it will not be shown again")
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    token = page.evaluate("navigator.clipboard.readText()")
    assert token.startswith("crm_") and token == page.get_by_label("Token").input_value()

    headers = {"Authorization": f"Bearer {token}"}
    response = httpx.get(f"{live_server.url}/api/v1/customers/", headers=headers)
    assert response.status_code == 200
    assert [row["email"] for row in response.json()["results"]] == ["grace@navy.example"]

    page.get_by_role("link", name="Done").click()
    row = page.get_by_test_id("api-tokens").get_by_role("row", name="Shop sync")
    expect(row).to_contain_text("Customers")
    expect(page.locator("body")).not_to_contain_text(token)
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Revoke").click()
    expect(page.get_by_role("alert")).to_contain_text("The token “Shop sync” was revoked.")
    expect(page.get_by_test_id("api-tokens")).to_contain_text("No tokens yet.")
    assert httpx.get(f"{live_server.url}/api/v1/customers/", headers=headers).status_code == 401
