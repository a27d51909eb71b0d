"""A manager scores customers from the browser, reads the grid, drills into a segment, exports it
and keeps the drill-down as a saved view."""

import csv
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from analytics.models import RfmRun
from customers.tests.factories import CustomerFactory
from sales.tests.factories import OrderFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def ordered(customer, *days_ago: int) -> None:
    for days in days_ago:
        OrderFactory(customer=customer, ordered_at=timezone.now() - timedelta(days=days), total=Decimal("80.00"))


def read_download(download) -> list[dict]:
    with open(download.path(), encoding="utf-8") as file:
        return list(csv.DictReader(file))


def test_a_manager_runs_scoring_drills_into_a_segment_and_exports_it(
    login_in_browser, manager, owner, default_segments, live_server
):
    loyal = CustomerFactory(owner=owner, first_name="Grace", last_name="Hopper", external_ref="GH-1")
    ordered(loyal, 1, 2, 3)  # R4 F4: Loyal Customers
    sleeper = CustomerFactory(owner=owner, first_name="Rip", last_name="Winkle")
    ordered(sleeper, 300)
    middle = CustomerFactory(owner=owner, first_name="Ada", last_name="Byron")
    ordered(middle, 20, 30)
    page = login_in_browser(manager)

    # 1. No run yet: the manager starts one from the report.
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="RFM segments").click()
    expect(page.locator("#rfm-empty")).to_be_visible()
    page.get_by_role("button", name="Start scoring").click()
    expect(page.get_by_role("alert").first).to_contain_text("RFM scoring was queued")
    expect(page.locator("#rfm-job")).to_contain_text("3 customers scored")
    page.get_by_role("link", name="Show the new run").click()
    run = RfmRun.objects.get()
    assert (run.n_scored, run.triggered_by) == (3, manager)

    # 2. The grid and the segment table.
    expect(page.locator('#rfm-grid td[data-cell="44"]')).to_contain_text("1")
    expect(page.locator('#rfm-grid td[data-cell="11"]')).to_contain_text("1")
    loyal_row = page.locator('#rfm-segments tr[data-segment="Loyal Customers"]')
    expect(loyal_row.get_by_test_id("customers")).to_contain_text("1")

    # 3. Drill into the segment: the customer list shows its one customer.
    loyal_row.get_by_role("link", name="Customers", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Customers")
    results = page.locator("#list-results")
    expect(results).to_contain_text("Grace Hopper")
    expect(results).not_to_contain_text("Rip Winkle")
    expect(page.get_by_label("RFM segment", exact=True)).to_have_value(str(run.summary["cell_segments"]["44"]))
    # The report's link set two filters; both show as chips.
    expect(page.get_by_test_id("filter-chip")).to_have_count(2)
    expect(page.get_by_role("link", name="Remove the filter RFM segment: Loyal Customers")).to_be_visible()
    expect(page.get_by_role("link", name=f"Remove the filter RFM run: run {run.pk}")).to_be_visible()

    # 4. Export the drilled-down list, then the segment's scores from the report.
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    rows = read_download(download.value)
    assert [row["email"] for row in rows] == [loyal.email]
    page.go_back()
    with page.expect_download() as download:
        loyal_row.get_by_role("link", name="Export Loyal Customers").click()
    rows = read_download(download.value)
    assert [(row["customer_ref"], row["r_score"], row["f_score"], row["segment"]) for row in rows] == [
        ("GH-1", "4", "4", "Loyal Customers")
    ]

    # 5. A grid cell drills down by R and F; removing its chip lists everyone again.
    page.locator('#rfm-grid td[data-cell="44"] a').click()
    expect(page.get_by_role("link", name="Remove the filter RFM cell: R4 F4")).to_be_visible()
    expect(page.locator("#list-results")).not_to_contain_text("Rip Winkle")
    page.get_by_role("link", name="Remove the filter RFM cell: R4 F4").click()
    expect(page.get_by_role("link", name="Remove the filter RFM cell: R4 F4")).to_have_count(0)
    expect(page.locator("#list-results")).to_contain_text("Rip Winkle")

    # 6. The drill-down kept as a saved view comes back with its chips (its run and segment re-validated).
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="RFM segments").click()
    loyal_row.get_by_role("link", name="Customers", exact=True).click()
    expect(page.get_by_test_id("filter-chip")).to_have_count(2)
    page.get_by_role("button", name="Views").click()
    page.get_by_label("Save the current filters and columns as").fill("Loyal customers")
    page.get_by_role("button", name="Save view").click()
    expect(page.get_by_role("alert").first).to_contain_text("The view “Loyal customers” was saved.")
    page.get_by_role("link", name="Reset").click()
    expect(page.get_by_test_id("filter-chip")).to_have_count(0)
    expect(page.locator("#list-results")).to_contain_text("Rip Winkle")
    page.get_by_role("button", name="Views").click()
    page.get_by_role("link", name="Loyal customers").click()
    expect(page.get_by_role("link", name="Remove the filter RFM segment: Loyal Customers")).to_be_visible()
    expect(page.get_by_role("link", name=f"Remove the filter RFM run: run {run.pk}")).to_be_visible()
    expect(page.locator("#list-results")).not_to_contain_text("Rip Winkle")


def test_a_team_manager_clicks_a_cell_and_reads_how_many_other_teams_hold(
    login_in_browser, manager, owner, outsider, default_segments, live_server
):
    from analytics.services import rfm_score_run

    for person in (owner, owner, outsider):
        ordered(CustomerFactory(owner=person), 5)  # identical customers: one cell
    run = rfm_score_run()
    page = login_in_browser(manager)
    page.goto(f"{live_server.url}/analytics/rfm/?run={run.pk}")

    page.locator("#rfm-grid a").first.click()

    expect(page.get_by_test_id("filter-chip").first).to_be_visible()
    expect(page.get_by_test_id("filter-note")).to_have_text("2 of 3: the others belong to other teams.")
    expect(page.locator("#customer-table tbody tr")).to_have_count(2)
