"""The whole marketing loop in a real Chromium with a real Celery worker and beat (Redis):
a manager makes a segment from "At Risk" on the RFM report, writes a template, creates a
campaign to that segment and schedules it; beat starts it when its time comes and the
worker sends it to an aiosmtpd sink; a recipient opens the unsubscribe link from the
mail they got (no login), confirms, and is opted out; the manager reads the report."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from crm_project.smtp_sink import Received, Sink
from customers.models import ConsentEvent, Customer
from jobs.tests.worker import running_worker, wait_for
from marketing.models import Campaign, EmailTemplate, Segment

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

UNSUBSCRIBE = re.compile(r"https?://[^\s\"'<>]+/marketing/u/[^\s\"'<>/]+/")


def _text_of(received: Received) -> str:
    part = received.message.get_body(preferencelist=("plain",))
    assert part is not None, "the mail has no text part"
    return part.get_content()


def _status(campaign: Campaign) -> str:
    campaign.refresh_from_db()
    return campaign.status


def test_from_an_rfm_segment_to_a_sent_campaign_an_unsubscribe_and_its_report(
    login_in_browser, browser, manager, rfm_run, live_server, tmp_path
):
    Customer.objects.update(email_consent=Customer.Consent.OPTED_IN)
    at_risk = {c.email: c for c in Customer.objects.filter(first_name__in=["Grace", "Alan"])}
    # The worker first: without Redis or a database it can share, the test stops here, not after the browser part.
    env = {"CRM_SITE_URL": live_server.url, "MARKETING_DISPATCH_SECONDS": "1"}
    with Sink() as sink, running_worker(tmp_path, beat=True, env={**env, "MARKETING_EMAIL_URL": sink.url}):
        page = login_in_browser(manager)
        campaign = _make_and_schedule_a_campaign_for_at_risk(page, live_server.url)
        # The hour passes: beat's campaign_dispatch_due finds the campaign due and starts it.
        Campaign.objects.filter(pk=campaign.pk).update(scheduled_at=timezone.now() - timedelta(seconds=1))
        sent = wait_for(lambda: _status(campaign) == Campaign.Status.SENT, seconds=90, every=0.5)
        assert sent, (tmp_path / "worker.log").read_text()[-3000:]

    assert sorted(sink.addresses()) == sorted(at_risk)
    grace_mail = next(r for r in sink.received if at_risk[r.recipients[0]].first_name == "Grace")
    text = _text_of(grace_mail)
    assert "Hi Grace, come back" in text
    link = UNSUBSCRIBE.search(text)
    assert link, text

    # The recipient, in a browser of their own and not logged in, follows the link.
    recipient = browser.new_context().new_page()
    recipient.set_default_timeout(10_000)
    recipient.goto(link.group(0))
    expect(recipient.get_by_role("heading", name="Unsubscribe")).to_be_visible()
    grace = at_risk[grace_mail.recipients[0]]
    grace.refresh_from_db()
    assert grace.email_consent == Customer.Consent.OPTED_IN  # opening the page changed nothing
    recipient.get_by_role("button", name="Unsubscribe me").click()
    expect(recipient.get_by_role("heading", name="You are unsubscribed")).to_be_visible()

    page.goto(f"{live_server.url}/marketing/campaigns/{campaign.pk}/report/")
    expect(page.get_by_role("heading", name="Report: Win back At Risk")).to_be_visible()
    totals = page.locator("#report-totals")
    expect(totals.locator('[data-figure="sent"]')).to_have_text(str(len(at_risk)))
    expect(totals.locator('[data-figure="unsubscribes"]')).to_have_text("1")
    grace.refresh_from_db()
    assert grace.email_consent == Customer.Consent.OPTED_OUT
    assert ConsentEvent.objects.get(customer=grace).source == "unsubscribe"


def _make_and_schedule_a_campaign_for_at_risk(page, url: str) -> Campaign:
    """The manager's part: the RFM report's "At Risk" row makes the segment, then a template
    with a merge field and an unsubscribe link, a campaign to the segment, scheduled in an hour."""
    page.goto(f"{url}/analytics/rfm/")
    page.locator('#rfm-segments tr[data-segment="At Risk"]').get_by_role("button", name="Make a segment").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("RFM: At Risk")
    segment = Segment.objects.get(name="RFM: At Risk")

    page.goto(f"{url}/marketing/templates/new/")
    page.get_by_label("Name").fill("We miss you")
    page.get_by_label("Subject").fill("We miss you, {{ first_name }}")
    page.get_by_label("HTML").fill(
        '<p>Hi {{ first_name|default:"there" }}, come back for 10 % off.</p>'
        '<p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>'
    )
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("preview-subject")).to_contain_text("We miss you, ")
    template = EmailTemplate.objects.get(name="We miss you")

    page.goto(f"{url}/marketing/campaigns/new/")
    page.get_by_label("Name").fill("Win back At Risk")
    page.get_by_label("Template").select_option(str(template.pk))
    page.get_by_label("Send to").select_option(str(segment.pk))
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("campaign-status")).to_have_text("Draft")
    page.get_by_label("Send at").fill((timezone.localtime() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Schedule").click()
    expect(page.get_by_test_id("campaign-status")).to_have_text("Scheduled")
    return Campaign.objects.get(name="Win back At Risk")
