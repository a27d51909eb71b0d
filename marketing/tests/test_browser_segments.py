"""A manager makes a segment from "At Risk" on the RFM report, lands on it with its members,
then edits its rules and watches the live count change."""

import pytest
from playwright.sync_api import expect

from analytics.models import RfmSegment
from marketing.models import Segment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_manager_makes_a_segment_from_at_risk_and_edits_its_rules_with_a_live_count(
    login_in_browser, manager, rfm_run, live_server
):
    assert RfmSegment.objects.filter(name="At Risk").exists()
    page = login_in_browser(manager)
    page.goto(f"{live_server.url}/analytics/rfm/")

    at_risk = page.locator('#rfm-segments tr[data-segment="At Risk"]')
    at_risk.get_by_role("button", name="Make a segment").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("RFM: At Risk")
    expect(page.get_by_test_id("member-count")).to_have_text("2 members")
    members = page.locator("#member-table")
    expect(members).to_contain_text("Grace Hopper")
    expect(members).to_contain_text("Alan Turing")
    expect(members).not_to_contain_text("Ada Lovelace")
    segment = Segment.objects.get(name="RFM: At Risk")

    page.get_by_role("link", name="Edit").click()
    expect(page.get_by_test_id("live-count")).to_have_text("2")
    page.locator("#id_rules-0-value").fill("Champions")
    expect(page.get_by_test_id("live-count")).to_have_text("1")
    expect(page.get_by_test_id("preview-members")).to_contain_text("Ada Lovelace")
    page.locator("#id_rules-0-value").fill("Nobody")
    expect(page.locator("#segment-preview")).to_contain_text("“Nobody” is not an RFM segment")
    page.locator("#id_rules-0-value").fill("Champions")
    expect(page.get_by_test_id("live-count")).to_have_text("1")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_test_id("member-count")).to_have_text("1 member")
    expect(page.locator("#member-table")).to_contain_text("Ada Lovelace")
    segment.refresh_from_db()
    assert segment.rules["rules"] == [{"field": "rfm_segment", "op": "eq", "value": "Champions"}]
