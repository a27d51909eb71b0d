"""The agent's pages in a real Chromium: from the home's unassigned card to the
list, a bulk assignment to themself, and the ticket under "Assigned to me"."""

import pytest
from playwright.sync_api import expect

from support.tests.factories import TicketFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_agent_takes_an_unassigned_ticket_from_the_home_through_a_bulk_assignment(
    login_in_browser, live_server, agent, queue, other_queue
):
    ticket = TicketFactory(queue=queue, subject="Printer on fire")
    TicketFactory(queue=other_queue, subject="Someone else's problem")
    page = login_in_browser(agent)
    page.goto(f"{live_server.url}/support/")
    expect(page.get_by_test_id("support-card-assigned").get_by_test_id("count")).to_have_text("0")
    page.get_by_role("link", name="Unassigned in my queues").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Tickets")
    expect(page.get_by_test_id("filter-chip")).to_contain_text("Unassigned")
    rows = page.locator("#ticket-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Printer on fire")
    rows.first.get_by_role("checkbox", name="Select").check()
    page.locator("#bulk_action").select_option("assign")
    page.locator("#bulk_assignee").select_option(label=str(agent))
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("alert")).to_contain_text("1 tickets changed.")

    page.goto(f"{live_server.url}/support/")
    assigned = page.get_by_test_id("support-card-assigned")
    expect(assigned.get_by_test_id("count")).to_have_text("1")
    expect(assigned.locator(f"[data-ticket='{ticket.pk}']")).to_contain_text("Printer on fire")
    expect(page.get_by_test_id("support-card-unassigned").get_by_test_id("count")).to_have_text("0")
