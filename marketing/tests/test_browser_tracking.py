"""A recipient follows the unsubscribe link of a campaign mail, confirms, and is opted out;
a marketer reads the campaign's report."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts import roles
from accounts.tests.factories import UserFactory
from customers.models import ConsentEvent, Customer
from marketing import tokens
from marketing.models import OutboxMessage
from marketing.tests.factories import CampaignFactory, OutboxMessageFactory
from sales.tests.factories import OrderFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_recipient_confirms_the_unsubscribe_link_and_is_opted_out(browser_page, live_server, settings):
    settings.CRM_SITE_URL = live_server.url
    message = OutboxMessageFactory(customer__email="jane@example.com", customer__email_consent="opted_in")
    page = browser_page

    page.goto(tokens.unsubscribe_url(message.pk))
    expect(page.get_by_role("heading", name="Unsubscribe")).to_be_visible()
    expect(page.get_by_text("j•••@example.com")).to_be_visible()
    message.customer.refresh_from_db()
    assert message.customer.email_consent == Customer.Consent.OPTED_IN  # opening the page changed nothing

    page.get_by_role("button", name="Unsubscribe me").click()
    expect(page.get_by_role("heading", name="You are unsubscribed")).to_be_visible()
    message.customer.refresh_from_db()
    assert message.customer.email_consent == Customer.Consent.OPTED_OUT
    assert ConsentEvent.objects.get(customer=message.customer).source == "unsubscribe"


def test_a_marketer_reads_a_campaigns_report_with_its_chart(login_in_browser, live_server):
    start = timezone.now() - timedelta(days=3)
    campaign = CampaignFactory(name="Spring sale", started_at=start)
    bought = OutboxMessageFactory(campaign=campaign, rfm_segment="Champions", sent_at=start)
    OrderFactory(customer=bought.customer, ordered_at=start + timedelta(days=1), total=Decimal("80.00"))
    OutboxMessageFactory(campaign=campaign, rfm_segment="Champions", status=OutboxMessage.Status.HOLDOUT, sent_at=None)
    page = login_in_browser(UserFactory(username="mark", role=roles.MARKETER))

    page.goto(f"{live_server.url}/marketing/campaigns/{campaign.pk}/report/")

    expect(page.get_by_role("heading", name="Report: Spring sale")).to_be_visible()
    row = page.locator('#report-table tbody tr[data-segment="Champions"]')
    expect(row.locator('[data-col="revenue-per-recipient"]')).to_have_text("80.00")
    expect(row.locator('[data-col="uplift"]')).to_have_text("80.00")
    page.wait_for_function("window.Chart && Chart.getChart(document.getElementById('revenue-chart')) !== undefined")
