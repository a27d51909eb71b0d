"""A manager reads the lifetime-value fit in the browser, opens "slipping away" and lands on
the customer list filtered to those customers, with the drill-down's chip."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from analytics.tests.clv_factory import HOLDOUT, clv_run
from customers.tests.factories import CustomerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_manager_reads_the_fit_and_drills_into_the_customers_slipping_away(
    login_in_browser, manager, owner, live_server
):
    loyal = CustomerFactory(owner=owner, first_name="Grace", last_name="Hopper")
    fading = CustomerFactory(owner=owner, first_name="Rip", last_name="Winkle")
    lapsed = CustomerFactory(owner=owner, first_name="Tiny", last_name="Tim")
    clv_run(
        calibration_end=timezone.localdate() - timedelta(days=8),
        scores={person: {"p_alive": 0.9} for person in (loyal, fading, lapsed)},
    )
    clv_run(
        holdout=HOLDOUT,
        scores={
            loyal: {"clv": "900.00", "p_alive": 0.95, "frequency": 8},
            fading: {"clv": "120.00", "p_alive": 0.3, "frequency": 4},
            lapsed: {"clv": "5.00", "p_alive": 0.1, "frequency": 0},  # lapsed, but never of high value
        },
    )
    page = login_in_browser(manager)
    errors: list = []
    page.on("pageerror", lambda error: errors.append(error))

    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Lifetime value").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Lifetime value")
    expect(page.get_by_test_id("fit-purchase-every")).to_have_text(
        "A typical active customer buys about every 16.0 weeks."
    )
    expect(page.locator("#clv-fit-info")).to_contain_text("Fitted on 100 customers (40 with repeat purchases)")
    expect(page.locator("#clv-holdout-chart")).to_be_visible()
    drawn = "id => Boolean(window.Chart && window.Chart.getChart(document.getElementById(id)))"
    assert page.evaluate(drawn, "clv-holdout-chart") and page.evaluate(drawn, "clv-histogram-chart")
    assert errors == []
    expect(page.locator("#clv-slipping")).to_contain_text("Rip Winkle")
    expect(page.locator("#clv-slipping")).not_to_contain_text("Tiny Tim")

    page.locator("#clv-slipping").get_by_role("link", name="Open in the customer list").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Customers")
    expect(page.get_by_role("link", name="Remove the filter Lifetime value: slipping away")).to_be_visible()
    rows = page.locator("#customer-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Rip Winkle")
    expect(rows.first).to_contain_text("120.00")
