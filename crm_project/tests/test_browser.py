"""Each role logs in through a real Chromium and finds its home and navigation."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(
    ("persona", "heading", "sees", "does_not_see"),
    [
        ("owner", "My day", ["Customers", "Pipeline"], ["Tickets", "Job log"]),
        ("agent", "My queue", ["Customers", "Tickets"], ["Pipeline", "Job log"]),
        ("manager", "Team overview", ["Pipeline", "Tickets", "Analytics", "Job log"], []),
    ],
)
def test_each_role_logs_in_to_its_home(request, login_in_browser, persona, heading, sees, does_not_see):
    page = login_in_browser(request.getfixturevalue(persona))
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    nav = page.get_by_role("navigation", name="Main navigation")
    for label in sees:
        expect(nav).to_contain_text(label)
    for label in does_not_see:
        expect(nav).not_to_contain_text(label)


def test_a_wrong_password_shows_an_error(login_in_browser, owner):
    page = login_in_browser(owner, password="not-my-password")
    expect(page.get_by_role("alert")).to_contain_text("Please enter a correct username and password")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")


def test_a_manager_opens_the_job_log_and_runs_a_job(login_in_browser, manager, live_server):
    page = login_in_browser(manager)
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Job log").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Job log")
    page.get_by_role("button", name="Run now: Job log housekeeping").click()
    expect(page.get_by_role("alert")).to_contain_text("was queued")
    expect(page.locator("[data-status=succeeded]").first).to_be_visible()


def test_a_user_logs_out_from_the_user_menu(login_in_browser, owner):
    page = login_in_browser(owner)
    page.get_by_role("button", name=owner.get_full_name()).click()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
