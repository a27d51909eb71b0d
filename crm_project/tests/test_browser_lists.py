"""The list frame as a person uses it at a desk (issue 11, section 3): the filter bar's
"More filters", the column chooser and saved views that outlive the session."""

from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from accounts.tests.factories import PASSWORD
from customers.tests.factories import CustomerFactory, TagFactory
from sales.models import Deal
from sales.tests.factories import DealFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1440, "height": 900}


@pytest.fixture
def login_at_desk(login_in_browser, browser_page):
    def login(user) -> Page:
        browser_page.set_viewport_size(DESKTOP)
        return login_in_browser(user)

    return login


def log_out(page: Page, user) -> None:
    page.get_by_role("button", name=user.get_full_name()).click()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")


def rows(page: Page):
    return page.locator("#list-results tbody tr")


def test_a_saved_view_with_its_filters_and_columns_is_in_the_menu_after_logging_in_again(
    login_at_desk, login_in_browser, owner, live_server
):
    vip = TagFactory(name="VIP")
    CustomerFactory(owner=owner, first_name="Ada", last_name="Aardvark").tags.add(vip)
    CustomerFactory(owner=owner, first_name="Bob", last_name="Bystander")
    page = login_at_desk(owner)
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Customers").click()
    expect(rows(page)).to_have_count(2)

    # The tag filter is behind "More filters"; the phone column goes through the chooser.
    page.get_by_role("button", name="More filters").click()
    page.locator("#more-filters").get_by_label("Tag", exact=True).select_option(label="VIP")
    expect(rows(page)).to_have_count(1)
    page.get_by_role("button", name="Columns").click()
    page.get_by_role("group", name="Columns to show").get_by_label("Phone").uncheck()
    expect(page.get_by_role("columnheader", name="Phone")).to_have_count(0)
    expect(page.get_by_role("columnheader", name="Email")).to_be_visible()

    page.get_by_role("button", name="Views").click()
    page.get_by_label("Save the current filters and columns as").fill("My VIPs")
    page.get_by_role("button", name="Save view").click()
    expect(page.get_by_role("alert").first).to_contain_text("The view “My VIPs” was saved.")
    expect(page.get_by_role("button", name="Views: My VIPs")).to_be_visible()

    log_out(page, owner)
    page.get_by_label("Username").fill(owner.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}{reverse('customers:customer-list')}")
    expect(rows(page)).to_have_count(2)
    expect(page.get_by_role("columnheader", name="Phone")).to_be_visible()

    page.get_by_role("button", name="Views").click()
    page.get_by_role("link", name="My VIPs").click()
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first).to_contain_text("Ada Aardvark")
    expect(page.get_by_role("link", name="Remove the filter Tag: VIP")).to_be_visible()
    expect(page.get_by_role("columnheader", name="Phone")).to_have_count(0)
    expect(page.get_by_test_id("more-filters-count")).to_have_text("1")

    # Made the default, the view opens the bare list; "Show the list without a view" clears it.
    page.get_by_role("button", name="Views: My VIPs").click()
    page.get_by_role("button", name="Open this list with it").click()
    expect(page.get_by_role("alert").first).to_contain_text("This list now opens with “My VIPs”.")
    page.goto(f"{live_server.url}{reverse('customers:customer-list')}")
    expect(rows(page)).to_have_count(1)
    page.get_by_role("button", name="Views: My VIPs").click()
    page.get_by_role("link", name="Show the list without a view").click()
    expect(rows(page)).to_have_count(2)


def test_more_filters_opens_and_a_filter_inside_it_filters_the_list(login_at_desk, owner, live_server):
    DealFactory(owner=owner, title="Fleet renewal", amount=Decimal("1200.00"))
    DealFactory(owner=owner, title="Office chairs", status=Deal.Status.WON)
    page = login_at_desk(owner)
    page.goto(f"{live_server.url}{reverse('sales:deal-list')}")
    expect(rows(page)).to_have_count(2)
    # The search and the main filters are on one row; the others stay folded away.
    bar = page.get_by_role("form", name="Filter the list")
    search, stage = bar.get_by_label("Search"), bar.get_by_role("combobox", name="Stage", exact=True)
    search_box, stage_box = search.bounding_box(), stage.bounding_box()
    assert search_box and stage_box and abs(search_box["y"] - stage_box["y"]) < 2
    status = bar.get_by_role("combobox", name="Status", exact=True)
    expect(status).to_be_hidden()
    bar.get_by_role("button", name="More filters").click()
    expect(status).to_be_visible()
    status.select_option(label="Won")
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first).to_contain_text("Office chairs")
    expect(page.get_by_role("link", name="Remove the filter Status: Won")).to_be_visible()
    # The button counts the filters set behind it, also after htmx refreshed the results.
    expect(bar.get_by_test_id("more-filters-count")).to_have_text("1")
    status.select_option(label="---------")
    expect(rows(page)).to_have_count(2)
    expect(bar.get_by_test_id("more-filters-count")).to_be_hidden()


def test_on_a_phone_the_filters_button_shows_every_filter_at_once(login_in_browser, browser_page, owner, live_server):
    """Below md the whole bar is behind "Filters"; once open, the other filters need no second tap."""
    vip = TagFactory(name="VIP")
    CustomerFactory(owner=owner, first_name="Ada", last_name="Aardvark").tags.add(vip)
    CustomerFactory(owner=owner, first_name="Bob", last_name="Bystander")
    browser_page.set_viewport_size({"width": 390, "height": 844})
    page = login_in_browser(owner)
    page.goto(f"{live_server.url}{reverse('customers:customer-list')}")
    page.get_by_role("button", name="Filters", exact=True).click()
    expect(page.get_by_role("button", name="More filters")).to_be_hidden()
    page.locator("#more-filters").get_by_label("Tag", exact=True).select_option(label="VIP")
    expect(rows(page)).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
