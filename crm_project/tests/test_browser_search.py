"""The top bar's search in a real Chromium, the way a person uses it: keyboard only."""

import re

import pytest
from playwright.sync_api import expect

from customers.tests.factories import CustomerFactory
from sales.tests.factories import DealFactory, OrderFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def adams(owner):
    customer = CustomerFactory(owner=owner, first_name="John", last_name="Adams")
    DealFactory(owner=owner, customer=customer, title="Expansion – Adams")
    return customer


def test_a_rep_types_adams_and_opens_the_deal_with_the_keyboard(login_in_browser, owner, adams):
    page = login_in_browser(owner)
    expect(page.get_by_role("heading", level=1)).to_have_text("My day")
    page.wait_for_load_state("load")  # search.js (deferred) listens for "/" from then on
    page.keyboard.press("/")
    search = page.get_by_role("combobox", name="Search")
    expect(search).to_be_focused()
    page.keyboard.type("Adams")
    listbox = page.get_by_role("listbox", name="Search suggestions")
    expect(listbox.get_by_role("option", name="Expansion – Adams")).to_be_visible()
    expect(search).to_have_attribute("aria-expanded", "true")
    # The customer "John Adams" comes first (settings order), then the deal.
    page.keyboard.press("ArrowDown")
    expect(listbox.get_by_role("option", name=re.compile(r"^John Adams"))).to_have_attribute("aria-selected", "true")
    page.keyboard.press("ArrowDown")
    deal_option = listbox.get_by_role("option", name="Expansion – Adams")
    expect(deal_option).to_have_attribute("aria-selected", "true")
    expect(search).to_have_attribute("aria-activedescendant", deal_option.get_attribute("id"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Expansion – Adams")


def test_escape_closes_the_dropdown_and_enter_opens_the_results_page(login_in_browser, owner, adams):
    page = login_in_browser(owner)
    search = page.get_by_role("combobox", name="Search")
    search.click()
    page.keyboard.type("Adams")
    listbox = page.get_by_role("listbox", name="Search suggestions")
    expect(listbox).to_be_visible()
    page.keyboard.press("Escape")
    expect(listbox).to_be_hidden()
    expect(search).to_have_attribute("aria-expanded", "false")
    expect(search).to_have_value("Adams")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Search")
    expect(page.get_by_role("heading", level=2, name="Deals")).to_be_visible()


def test_slash_in_a_text_field_is_typed_not_a_shortcut(login_in_browser, owner):
    page = login_in_browser(owner)
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Customers").click()
    field = page.locator("input[name=q]").last
    field.click()
    page.keyboard.type("a/b")
    expect(field).to_have_value("a/b")
    expect(page.get_by_role("combobox", name="Search")).not_to_be_focused()


def test_an_agent_finds_an_order_by_its_reference_and_opens_it(login_in_browser, owner, agent):
    customer = CustomerFactory(owner=owner)
    OrderFactory(customer=customer, order_ref="SO-4711")
    OrderFactory(customer=customer, order_ref="SO-47110")
    page = login_in_browser(agent)
    expect(page.get_by_role("heading", level=1)).to_have_text("My queue")
    page.wait_for_load_state("load")  # search.js (deferred) listens for "/" from then on
    page.keyboard.press("/")
    page.keyboard.type("so-4711")
    listbox = page.get_by_role("listbox", name="Search suggestions")
    expect(listbox.get_by_role("option").first).to_contain_text("SO-4711")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Order SO-4711")
