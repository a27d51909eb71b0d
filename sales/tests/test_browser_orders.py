"""Orders in a real Chromium: a manager imports shop history, a rep turns a won deal into an order."""

from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from customers.tests.factories import CustomerFactory
from sales.models import Order
from sales.tests.factories import DealProductFactory, OrderFactory, ProductFactory, won_deal

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DATA = Path(__file__).parent / "data"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_a_manager_imports_orders_through_the_dry_run_and_skips_the_bad_row(login_in_browser, manager, owner):
    CustomerFactory(owner=owner, external_ref="SHOP-1", first_name="Grace", last_name="Hopper")
    CustomerFactory(owner=owner, external_ref="SHOP-2")
    page = login_in_browser(manager)
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Orders").click()
    page.get_by_role("link", name="Import orders").click()
    page.get_by_label("File").set_input_files(DATA / "orders_one_bad_row.csv")
    page.get_by_role("button", name="Upload and check").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check the order import")
    expect(page.locator("#import-summary [data-count=created]")).to_have_text("3")
    errors = page.locator("#import-errors")
    expect(errors.locator("tbody tr")).to_have_count(1)
    expect(errors).to_contain_text("At most 2 decimal places.")
    expect(errors.locator("tbody tr td").first).to_have_text("4")
    assert not Order.objects.exists()  # the dry run writes nothing

    page.get_by_label("Skip bad rows").check()
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("3 orders created, 0 updated, 1 rows skipped")
    assert sorted(Order.objects.values_list("order_ref", flat=True)) == ["W-1001", "W-1002", "W-1004"]

    # The orders are on the customer's page, with the lifetime totals.
    page.get_by_role("link", name="Go to the orders").click()
    page.get_by_role("link", name="Grace Hopper").first.click()
    panel = page.locator("#customer-orders")
    expect(panel).to_contain_text("W-1002")
    expect(panel.locator("[data-total=revenue]")).to_have_text("200.50 EUR")


def test_a_rep_creates_the_order_of_a_won_deal_and_sees_it_on_the_customer_page(login_in_browser, owner, live_server):
    deal = won_deal(owner=owner, title="Fleet renewal", customer=CustomerFactory(owner=owner, last_name="Lamarr"))
    DealProductFactory(
        deal=deal, product=ProductFactory(name="Licence"), quantity=Decimal("4"), unit_price=Decimal("250")
    )
    page = login_in_browser(owner)
    page.goto(f"{live_server.url}{deal.get_absolute_url()}")
    page.get_by_role("button", name="Create order").click()
    expect(page.get_by_role("alert")).to_contain_text(f"Order DEAL-{deal.pk} was created from this deal.")
    expect(page.locator("#order-lines")).to_contain_text("Licence")
    expect(page.locator("#order-total")).to_have_text("1,000.00 EUR")

    page.get_by_role("link", name=deal.customer.full_name).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(deal.customer.full_name)
    panel = page.locator("#customer-orders")
    expect(panel).to_contain_text(f"DEAL-{deal.pk}")
    expect(panel.locator("[data-total=paid-orders]")).to_have_text("1")
    expect(page.locator("#timeline-entries")).to_contain_text(f"Order DEAL-{deal.pk} created from the won deal")


def test_a_rep_finds_an_order_by_its_reference_in_the_order_list(login_in_browser, owner):
    customer = CustomerFactory(owner=owner, first_name="Ada", last_name="Lovelace")
    OrderFactory(customer=customer, order_ref="SO-4711", total=Decimal("120.00"))
    OrderFactory(customer=customer, order_ref="SO-4712", total=Decimal("80.00"))
    page = login_in_browser(owner)
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Orders").click()
    totals = page.get_by_test_id("list-totals")
    expect(totals).to_have_text("200.00 EUR")
    page.get_by_placeholder("Customer or order reference").fill("SO-4712")
    page.keyboard.press("Enter")
    table = page.locator("#order-table")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(totals).to_have_text("80.00 EUR")
    table.get_by_role("link", name="SO-4712").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Order SO-4712")
    expect(page.locator("#order-total")).to_have_text("80.00 EUR")
