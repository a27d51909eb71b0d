"""A manager writes a template, creates a campaign to a segment, schedules it and sees it listed as scheduled."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from marketing.models import Campaign, EmailTemplate

from .campaign_fixtures import make_segment, opted_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_manager_writes_a_template_and_schedules_a_campaign(login_in_browser, manager, live_server):
    segment = make_segment(opted_in(3, first_name="Ann"), name="At Risk customers")
    page = login_in_browser(manager)

    page.goto(f"{live_server.url}/marketing/templates/new/")
    page.get_by_label("Name").fill("Win back")
    page.get_by_label("Subject").fill("We miss you, {{ first_name }}")
    page.get_by_label("HTML").fill(
        '<p>Hi {{ first_name|default:"there" }}</p><p><a href="https://example.com/offer">Offer</a></p>'
    )
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("preview-subject")).to_have_text("We miss you, Ann")
    template = EmailTemplate.objects.get(name="Win back")

    page.goto(f"{live_server.url}/marketing/campaigns/new/")
    page.get_by_label("Name").fill("Spring win-back")
    page.get_by_label("Template").select_option(str(template.pk))
    page.get_by_label("Send to").select_option(str(segment.pk))
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("campaign-status")).to_have_text("Draft")

    later = timezone.localtime() + timedelta(days=1)
    page.get_by_label("Send at").fill(later.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Schedule").click()
    expect(page.get_by_test_id("campaign-status")).to_have_text("Scheduled")

    page.goto(f"{live_server.url}/marketing/campaigns/")
    row = page.get_by_test_id("campaign-row").filter(has_text="Spring win-back")
    expect(row).to_contain_text("Scheduled")
    assert Campaign.objects.get(name="Spring win-back").status == Campaign.Status.SCHEDULED
