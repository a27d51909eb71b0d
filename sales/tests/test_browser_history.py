"""Configuration history in a real Chromium: an admin changes a product's price and reads who
changed it, from which price to which, on the product's History page."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from sales.tests.factories import ProductFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_admin_changes_a_price_and_the_history_page_shows_old_and_new_price_and_who(
    login_in_browser, admin_user, live_server
):
    product = ProductFactory(name="Seat licence", sku="SEAT-1", price=Decimal("99.00"))
    page = login_in_browser(admin_user)
    page.goto(f"{live_server.url}/admin/sales/product/{product.pk}/change/")
    page.locator("#id_price").fill("120.00")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")

    page.goto(f"{live_server.url}/admin/sales/product/{product.pk}/change/")
    page.get_by_role("link", name="History").click()

    latest = page.locator("#change-history tbody tr").first
    expect(latest.locator(".history-user")).to_contain_text("(ada)")
    expect(latest.locator(".history-changes li")).to_have_text("Price: 99.00 → 120.00")
