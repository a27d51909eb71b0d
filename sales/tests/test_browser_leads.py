"""A sales rep works a lead into a customer in a real Chromium, as a person would."""

import re

import pytest
from playwright.sync_api import expect

from customers.models import Customer
from customers.tests.factories import CompanyFactory
from sales.models import Deal, Lead
from sales.tests.factories import LeadActivityFactory, LeadFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_rep_converts_a_qualified_lead_with_a_deal_and_finds_its_call_on_the_customer(
    login_in_browser, owner, live_server
):
    navy = CompanyFactory(owner=owner, name="US Navy Research", domain="navy-labs.example")
    lead = LeadFactory(
        owner=owner,
        first_name="Grace",
        last_name="Hopper",
        email="grace@navy-labs.example",
        company_name="Navy Labs",
        status=Lead.Status.QUALIFIED,
    )
    LeadActivityFactory(lead=lead, kind="call", summary="Talked about the compiler project", user=owner)

    page = login_in_browser(owner)
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Leads").click()
    page.get_by_role("link", name="Grace Hopper").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Grace Hopper")
    expect(page.locator("#lead-timeline-entries")).to_contain_text("Call: Talked about the compiler project")

    page.get_by_role("link", name="Convert").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Convert Grace Hopper")
    expect(page.locator("#company-matches")).to_contain_text("US Navy Research")
    expect(page.get_by_label("Use US Navy Research")).to_be_checked()
    page.get_by_label("Also create a deal").check()
    page.get_by_label("Amount").fill("4200.00")
    page.get_by_role("button", name="Convert lead").click()

    customer = Customer.objects.get(last_name="Hopper")
    expect(page).to_have_url(re.compile(re.escape(customer.get_absolute_url()) + "$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Grace Hopper")
    expect(page.get_by_role("alert")).to_contain_text("was converted to the customer Grace Hopper with the deal")
    expect(page.locator("#timeline-entries")).to_contain_text("Call: Talked about the compiler project")
    deal = Deal.objects.get()
    assert (deal.customer, deal.company, str(deal.amount), deal.title) == (customer, navy, "4200.00", "Navy Labs deal")
    assert customer.company == navy

    # The lead remembers what it became.
    page.goto(f"{live_server.url}{lead.get_absolute_url()}")
    conversion = page.locator("#lead-conversion")
    expect(conversion).to_contain_text("Converted on")
    expect(conversion.get_by_role("link", name="Grace Hopper")).to_have_attribute("href", customer.get_absolute_url())
    expect(page.get_by_role("link", name="Convert")).to_have_count(0)


def test_a_rep_qualifies_a_lead_and_logs_a_call_without_reloading(login_in_browser, owner, live_server):
    lead = LeadFactory(owner=owner, first_name="Ada", last_name="Lovelace")
    page = login_in_browser(owner)
    page.goto(f"{live_server.url}{lead.get_absolute_url()}")
    page.evaluate("window.notReloaded = true")
    page.get_by_label("Summary").fill("Wants a quote")
    page.get_by_role("button", name="Log it").click()
    expect(page.locator("#lead-timeline-entries")).to_contain_text("Call: Wants a quote")
    expect(page.get_by_label("Summary")).to_have_value("")
    assert page.evaluate("window.notReloaded") is True

    page.locator("#lead-status-form").get_by_label("Status").select_option("unqualified")
    page.get_by_role("button", name="Change status").click()
    expect(page.get_by_role("alert")).to_contain_text("Say why the lead is unqualified.")
    page.locator("#lead-status-form").get_by_label("Status").select_option("qualified")
    page.get_by_role("button", name="Change status").click()
    expect(page.get_by_test_id("lead-status")).to_have_text("Qualified")
    expect(page.get_by_role("link", name="Convert")).to_be_visible()
