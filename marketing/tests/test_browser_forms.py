"""A visitor fills the public newsletter form in a real Chromium; a manager finds the lead."""

import pytest
from playwright.sync_api import expect

from marketing.models import LeadForm

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_visitor_signs_up_on_the_public_form_and_a_manager_finds_the_new_lead(
    browser_page, login_in_browser, live_server, manager
):
    LeadForm.objects.create(
        name="Newsletter",
        slug="newsletter",
        fields=[
            {"name": "email", "label": "Email", "target": "email", "required": True},
            {"name": "first_name", "label": "First name", "target": "first_name", "required": False},
        ],
        ask_consent=True,
        is_published=True,
    )
    page = browser_page
    page.goto(f"{live_server.url}/marketing/f/newsletter/")
    page.get_by_role("textbox", name="Email").fill("visitor@example.com")
    page.get_by_label("First name").fill("Vera")
    page.wait_for_timeout(2500)  # people take longer than 2 s; faster posts are treated as bots'
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#form-thanks")).to_be_visible()

    page.context.clear_cookies()
    login_in_browser(manager)
    page.goto(f"{live_server.url}/sales/leads/")
    expect(page.get_by_text("visitor@example.com")).to_be_visible()
