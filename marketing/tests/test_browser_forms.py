"""A visitor fills the public newsletter form in a real Chromium (in the iframe's
page, and as plain HTML on another site); a manager finds the lead."""

import functools
import re
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect

from marketing.models import LeadForm
from sales.models import Lead

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


@pytest.fixture
def other_site(tmp_path):
    """A static site on another origin (its own port): serves whatever is written to tmp_path."""
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield tmp_path, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_the_plain_html_snippet_on_another_site_fetches_its_token_and_the_post_makes_a_lead(
    browser_page, login_in_browser, live_server, manager, other_site
):
    folder, site = other_site
    leadform = LeadForm.objects.create(
        name="Newsletter",
        slug="2026-news",  # an id starting with a digit: the script must not build a CSS selector from it
        fields=[
            {"name": "email", "label": "Email", "target": "email", "required": True},
            {"name": "first_name", "label": "First name", "target": "first_name", "required": False},
        ],
        allowed_origins=site,
        is_published=True,
    )
    page = login_in_browser(manager)
    page.goto(f"{live_server.url}/marketing/forms/{leadform.pk}/")
    snippet = page.locator("#snippet-html").input_value()  # what the marketer copies
    (folder / "index.html").write_text(f"<!doctype html><title>Our shop</title><h1>Join us</h1>{snippet}")
    page.context.clear_cookies()

    page.goto(f"{site}/index.html")
    expect(page.locator("input[name=token]")).to_have_value(re.compile(r"\S"))  # fetched across origins
    page.get_by_role("textbox", name="Email").fill("plain@example.com")
    page.get_by_label("First name").fill("Pia")
    page.wait_for_timeout(2500)  # people take longer than 2 s; faster posts are treated as bots'
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#form-thanks")).to_be_visible()
    lead = Lead.objects.get(email="plain@example.com")
    assert (lead.first_name, lead.source) == ("Pia", "web")
