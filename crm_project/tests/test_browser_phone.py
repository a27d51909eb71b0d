"""At 390×844 (a phone) each page shows its content on the first screen, never
scrolls sideways, and the navigation is one offcanvas menu behind the top bar's
menu button (issue 11, section 1)."""

from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import Locator, Page, expect

from customers.tests.factories import CompanyFactory, CustomerFactory
from sales.tests.factories import DealFactory, LeadFactory, OrderFactory, TaskFactory, stage_named

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
SCREENSHOTS = None  # set to a folder (e.g. "/tmp/phone") to look at the pages


@pytest.fixture
def login_on_phone(login_in_browser, browser_page):
    def login(user) -> Page:
        browser_page.set_viewport_size(PHONE)
        return login_in_browser(user)

    return login


def assert_no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.evaluate("window.innerWidth"), f"the page is {width} px wide on a 390 px screen"


def assert_on_first_screen(page: Page, locator: Locator) -> None:
    """The element starts on the first screen, unscrolled, with at least its
    first 40 px (a line of text) visible, once sections loaded after the page (htmx) are in."""
    page.wait_for_load_state("networkidle")
    expect(locator).to_be_visible()
    assert page.evaluate("window.scrollY") == 0
    box = locator.bounding_box()
    assert box is not None
    assert box["y"] + min(box["height"], 40) <= PHONE["height"], f"it starts {box['y']:.0f} px down"


def open_menu_and_follow(page: Page, link: str) -> None:
    """The top bar's one menu button opens the navigation; a link in it works."""
    nav = page.get_by_role("navigation", name="Main navigation")
    expect(nav).to_be_hidden()
    page.get_by_role("button", name="Menu").click()
    expect(nav).to_be_visible()
    nav.get_by_role("link", name=link).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(link)
    expect(nav).to_be_hidden()


def screenshot(page: Page, name: str) -> None:
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/{name}.png")


@pytest.mark.parametrize(
    ("persona", "heading", "link"),
    [("owner", "My day", "Customers"), ("manager", "Team overview", "Pipeline"), ("agent", "My queue", "Customers")],
)
def test_each_role_home_fits_a_phone_and_its_menu_opens_the_navigation(
    request, login_on_phone, persona, heading, link, live_server
):
    page = login_on_phone(request.getfixturevalue(persona))
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    assert_on_first_screen(page, page.locator("main .card").first)
    assert_no_sideways_scroll(page)
    screenshot(page, f"home-{persona}")
    open_menu_and_follow(page, link)
    assert_no_sideways_scroll(page)


def test_the_customer_list_is_cards_with_filters_behind_a_button(login_on_phone, owner, live_server):
    company = CompanyFactory(name="Analytical Engines Ltd", owner=owner)
    ada = CustomerFactory(owner=owner, first_name="Ada", last_name="Aardvark", company=company)
    CustomerFactory.create_batch(30, owner=owner)
    page = login_on_phone(owner)
    page.goto(f"{live_server.url}{reverse('customers:customer-list')}")

    first = page.locator("#customer-table tbody tr").first
    assert_on_first_screen(page, first.get_by_role("link", name="Ada Aardvark"))
    expect(first).to_contain_text("Analytical Engines Ltd")
    # The card is the name (with its email line), company and stage; the email and phone columns stay off it.
    expect(first.get_by_role("link", name=ada.email)).to_be_hidden()
    expect(first.get_by_text(ada.phone)).to_be_hidden()
    # The header row is only the cards' sort links.
    header = page.locator("#customer-table thead")
    expect(header.get_by_role("link", name="Email")).to_be_hidden()
    assert_on_first_screen(page, header.get_by_role("link", name="Company"))
    assert_no_sideways_scroll(page)
    screenshot(page, "customer-list")

    header.get_by_role("link", name="Name").click()  # now Z to A
    expect(first.get_by_role("link", name="Ada Aardvark")).to_be_hidden()
    header.get_by_role("link", name="Name").click()
    expect(first.get_by_role("link", name="Ada Aardvark")).to_be_visible()

    filters = page.locator("#list-filters")
    expect(filters).to_be_hidden()
    page.get_by_role("button", name="Filters").click()
    expect(filters).to_be_visible()
    filters.get_by_label("Search").fill("Aardvark")
    filters.get_by_role("button", name="Filter").click()
    expect(page.locator("#customer-table tbody tr")).to_have_count(1)
    assert_no_sideways_scroll(page)

    first.get_by_role("link", name="Ada Aardvark").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ada Aardvark")


def test_a_customer_page_fits_a_phone(login_on_phone, owner, live_server):
    customer = CustomerFactory(owner=owner, first_name="Grace", last_name="Hopper")
    DealFactory(owner=owner, customer=customer, title="Compiler licences", amount=Decimal("4200.00"))
    page = login_on_phone(owner)
    page.goto(f"{live_server.url}{reverse('customers:customer-detail', args=[customer.pk])}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Grace Hopper")
    assert_on_first_screen(page, page.locator("main .card").first)
    assert_no_sideways_scroll(page)
    screenshot(page, "customer-page")
    page.get_by_role("link", name="Compiler licences").scroll_into_view_if_needed()
    assert_no_sideways_scroll(page)
    open_menu_and_follow(page, "Customers")


def test_the_pipeline_board_scrolls_its_columns_not_the_page(login_on_phone, owner, live_server):
    DealFactory(owner=owner, title="Fleet renewal", amount=Decimal("1200.00"))
    DealFactory(owner=owner, title="Office chairs", stage=stage_named("Proposal"))
    page = login_on_phone(owner)
    open_menu_and_follow(page, "Pipeline")
    expect(page.get_by_role("form", name="Filter the board")).to_be_hidden()
    assert_on_first_screen(page, page.get_by_role("link", name="Fleet renewal"))
    assert_no_sideways_scroll(page)
    screenshot(page, "pipeline")
    # The board's own container scrolls sideways to the later stages.
    chairs = page.get_by_role("link", name="Office chairs")
    chairs.scroll_into_view_if_needed()
    expect(chairs).to_be_in_viewport()
    assert page.evaluate("window.scrollX") == 0
    assert_no_sideways_scroll(page)
    page.get_by_role("button", name="Filters").click()
    expect(page.get_by_role("form", name="Filter the board")).to_be_visible()


def test_the_forecast_fits_a_phone(login_on_phone, manager, owner, live_server):
    DealFactory(owner=owner, amount=Decimal("1000.00"), stage=stage_named("Proposal"))
    page = login_on_phone(manager)
    open_menu_and_follow(page, "Forecast")
    assert_on_first_screen(page, page.locator("#forecast-chart"))
    assert_no_sideways_scroll(page)
    screenshot(page, "forecast")


def test_the_top_bar_search_dropdown_spans_the_phone_screen(login_on_phone, owner, live_server):
    CustomerFactory(owner=owner, first_name="Grace", last_name="Hopper")
    page = login_on_phone(owner)
    page.get_by_role("combobox", name="Search").press_sequentially("Hopper")
    suggestions = page.get_by_role("listbox", name="Search suggestions")
    expect(suggestions.get_by_role("option", name="Grace Hopper")).to_be_visible()
    # Each keystroke swaps the dropdown's content (htmx): measure once it has settled, within
    # the screen and wider than the narrow box it belongs to.
    page.wait_for_function(
        """(width) => {
            const rect = document.getElementById("search-suggest").getBoundingClientRect();
            return rect.x >= 0 && rect.right <= width && rect.width > width * 0.9;
        }""",
        arg=PHONE["width"],
        timeout=10_000,
    )
    assert_no_sideways_scroll(page)


def test_no_page_scrolls_sideways_on_a_phone(login_on_phone, manager, owner, live_server):
    """Every page of the menu and a record of each kind, with long names, as a manager (who sees the most)."""
    company = CompanyFactory(owner=owner, name="Analytical Engines Incorporated International")
    customer = CustomerFactory(
        owner=owner, company=company, first_name="Augusta Ada", last_name="King-Noel, Countess of Lovelace"
    )
    deal = DealFactory(owner=owner, customer=customer, title="An expansion of everything for every office and team")
    lead = LeadFactory(owner=owner)
    order = OrderFactory(customer=customer)
    TaskFactory(owner=manager)
    pages = [reverse("home"), f"{reverse('search')}?q=ada", reverse("notifications"), reverse("jobs:list")]
    pages += [reverse(f"customers:{name}") for name in ("customer-list", "company-list", "customer-create", "import")]
    pages += [
        reverse("customers:customer-detail", args=[customer.pk]),
        reverse("customers:company-detail", args=[company.pk]),
    ]
    pages += [
        reverse(f"sales:{name}")
        for name in ("pipeline", "pipeline-list", "deal-list", "lead-list", "assignment-rule-list", "order-list")
    ]
    pages += [reverse(f"sales:{name}") for name in ("product-list", "task-list", "forecast", "target-list")]
    pages += [
        reverse("sales:deal-detail", args=[deal.pk]),
        reverse("sales:lead-detail", args=[lead.pk]),
        reverse("sales:order-detail", args=[order.pk]),
    ]
    pages += [reverse(f"analytics:{name}") for name in ("overview", "cohorts", "rfm")]
    page = login_on_phone(manager)
    too_wide = {}
    for url in pages:
        page.goto(f"{live_server.url}{url}")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            too_wide[url] = width
    assert too_wide == {}


def test_on_a_desktop_the_sidebar_filters_and_table_stay_as_they_were(
    login_in_browser, browser_page, owner, live_server
):
    CustomerFactory(owner=owner, first_name="Ada", last_name="Aardvark")
    browser_page.set_viewport_size({"width": 1440, "height": 900})
    page = login_in_browser(owner)
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Customers").click()
    expect(page.get_by_role("button", name="Filters", exact=True)).to_be_hidden()
    expect(page.locator("#list-filters").get_by_label("Search")).to_be_visible()
    expect(page.get_by_role("columnheader", name="Email")).to_be_visible()
    expect(page.get_by_role("form", name="Bulk actions")).to_be_visible()
    expect(page.locator("#language-select")).to_be_visible()
    assert_no_sideways_scroll(page)
