"""A manager opens the support dashboard, sees the charts drawn from the local Chart.js and reads the backlog."""

import pytest
from playwright.sync_api import expect

from support.tests.factories import TicketFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_manager_reads_the_backlog_of_their_queue(login_in_browser, manager, queue, live_server):
    for status in ("new", "new", "open", "pending"):
        TicketFactory(queue=queue, status=status)
    page = login_in_browser(manager)

    page.goto(f"{live_server.url}/support/dashboard/")

    expect(page.get_by_role("heading", level=1)).to_have_text("Support dashboard")
    page.wait_for_function("() => document.querySelectorAll('canvas').length === 5")
    drawn = page.evaluate("() => [...document.querySelectorAll('canvas')].every(c => window.Chart.getChart(c))")
    assert drawn
    row = page.locator("#backlog-table").get_by_role("row").filter(has_text="Support")
    expect(row.get_by_role("cell")).to_have_text(["2", "1", "1", "0", "4"])
