"""A manager reads the analytics overview's charts and the cohort report, and exports the cohorts."""

import csv
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from analytics.db import crm_today
from analytics.services import rfm_score_run
from customers.tests.factories import CustomerFactory
from sales.tests.factories import OrderFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_manager_reads_the_overview_and_the_cohorts_and_exports_them(
    login_in_browser, manager, owner, default_segments, live_server
):
    month_start = crm_today().replace(day=1)
    newcomer = CustomerFactory(owner=owner)
    OrderFactory(customer=newcomer, ordered_at=timezone.now(), total=Decimal("120.00"))
    rfm_score_run(as_of=crm_today() + timedelta(days=1))
    page = login_in_browser(manager)

    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Analytics").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Analytics")
    # Chart.js drew every chart from the local asset (no CDN), and the figures are in the tables too.
    page.wait_for_function("() => document.querySelectorAll('canvas').length > 0")
    drawn = page.evaluate("() => [...document.querySelectorAll('canvas')].every(c => window.Chart.getChart(c))")
    assert drawn
    expect(page.locator("body")).to_contain_text("120.00")

    page.get_by_role("link", name="Cohorts").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Acquisition cohorts")
    this_month = page.get_by_role("row").filter(has_text=month_start.strftime("%B %Y")).first
    expect(this_month).to_contain_text("100.0 %")
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    with open(download.value.path(), encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    current = [row for row in rows if row["cohort"] == month_start.strftime("%Y-%m") and row["months_since"] == "0"]
    assert current and current[0]["size"] == "1" and current[0]["revenue"] == "120.00"
