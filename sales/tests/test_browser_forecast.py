"""A manager reads the forecast and a rep ticks off a task, in a real Chromium."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from django.utils.formats import date_format
from playwright.sync_api import expect

from accounts.services import notification_create
from sales.models import Deal, Task
from sales.tests.factories import DealFactory, LeadFactory, TaskFactory, stage_named

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_manager_sees_a_won_deal_in_the_forecast_chart_and_table(login_in_browser, manager, owner, live_server):
    DealFactory(owner=owner, title="Big win", amount=Decimal("2500.00"), stage=stage_named("Won"),
                status=Deal.Status.WON, closed_at=timezone.now())  # fmt: skip
    DealFactory(owner=owner, amount=Decimal("1000.00"), stage=stage_named("Proposal"))
    page = login_in_browser(manager)
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Forecast").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Forecast")
    canvas = page.locator("#forecast-chart")
    expect(canvas).to_be_visible()
    page.wait_for_function("() => window.Chart && Chart.getChart(document.getElementById('forecast-chart'))")
    assert page.evaluate("Chart.getChart(document.getElementById('forecast-chart')).data.datasets.length") == 5
    month = date_format(timezone.localdate().replace(day=1), "YEAR_MONTH_FORMAT")
    row = page.locator("#forecast-table tbody tr", has_text=month)
    expect(row.get_by_test_id("closed-won")).to_have_text("2,500.00")
    expect(row.locator("td").first).to_have_text("500.00")  # weighted: 1000 × 50 %


def test_a_rep_completes_a_task_from_my_day_without_a_reload(login_in_browser, owner, live_server):
    task = TaskFactory(owner=owner, title="Call Ada back", due_at=timezone.now() - timedelta(hours=1))
    notification_create(user=owner, text="You have 1 task due today.", url="/sales/tasks/?when=today")
    page = login_in_browser(owner)
    expect(page.get_by_role("heading", level=1)).to_have_text("My day")
    expect(page.get_by_test_id("unread-count")).to_contain_text("1")
    page.evaluate("window.notReloaded = true")
    item = page.get_by_test_id("my-task").filter(has_text="Call Ada back")
    item.get_by_role("button", name="Mark “Call Ada back” done").click()
    expect(item.get_by_role("button", name="Reopen “Call Ada back”")).to_be_visible()
    assert page.evaluate("window.notReloaded") is True
    assert Task.objects.get(pk=task.pk).done_at is not None


def test_a_rep_moves_a_deal_closing_this_month_from_my_day(login_in_browser, owner, live_server):
    deal = DealFactory(owner=owner, title="Renewal", expected_close_date=timezone.localdate())
    page = login_in_browser(owner)
    page.evaluate("window.notReloaded = true")
    card = page.get_by_test_id("my-deals-closing")
    card.get_by_label("Stage of “Renewal”").select_option(label="Negotiation (75 %)")
    # After the move, htmx re-renders the card from the server.
    with page.expect_response(lambda response: "/my-day/deals-closing/" in response.url):
        card.get_by_role("button", name="Move").click()
    expect(page.get_by_test_id("my-deals-closing").get_by_label("Stage of “Renewal”")).to_have_value(
        str(stage_named("Negotiation").pk)
    )
    assert page.evaluate("window.notReloaded") is True
    deal.refresh_from_db()
    assert deal.stage.name == "Negotiation"


def test_a_rep_ticks_off_a_task_in_the_task_list_in_place(login_in_browser, owner, live_server):
    TaskFactory(owner=owner, title="Write the offer", due_at=timezone.now() + timedelta(days=1))
    page = login_in_browser(owner)
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Tasks").click()
    page.evaluate("window.notReloaded = true")
    row = page.get_by_test_id("task-row").filter(has_text="Write the offer")
    row.get_by_role("button", name="Mark “Write the offer” done").click()
    expect(row.get_by_role("button", name="Reopen “Write the offer”")).to_be_visible()
    assert page.evaluate("window.notReloaded") is True
    assert Task.objects.get(title="Write the offer").done_at is not None


def test_a_rep_marks_a_new_lead_contacted_from_my_day(login_in_browser, owner, live_server):
    lead = LeadFactory(owner=owner, first_name="Ada", last_name="Byron")
    page = login_in_browser(owner)
    page.evaluate("window.notReloaded = true")
    card = page.get_by_test_id("my-leads")
    card.get_by_label("Status of Ada Byron").select_option(label="Contacted")
    card.get_by_role("button", name="Set").click()
    expect(page.get_by_test_id("my-leads").get_by_test_id("lead-status")).to_have_text("Contacted")
    assert page.evaluate("window.notReloaded") is True
    lead.refresh_from_db()
    assert lead.status == "contacted"


def test_a_manager_reads_the_overdue_row_and_the_totals_add_up_to_the_open_pipeline(
    login_in_browser, manager, owner, live_server
):
    this_month = timezone.localdate().replace(day=1)
    DealFactory(owner=owner, title="Left behind", amount=Decimal("1200.00"), stage=stage_named("Proposal"),
                expected_close_date=this_month - timedelta(days=45))  # fmt: skip
    DealFactory(owner=owner, amount=Decimal("800.00"), stage=stage_named("Proposal"), expected_close_date=this_month)
    page = login_in_browser(manager)
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Forecast").click()

    overdue = page.locator("#forecast-table tbody tr[data-row=overdue]")
    expect(overdue).to_contain_text("Overdue")
    expect(overdue.locator("td").nth(2)).to_have_text("1,200.00")  # best case
    best_case_total = page.locator("#forecast-table tfoot td").nth(2)
    expect(best_case_total).to_have_text("2,000.00")  # every open deal: the open pipeline

    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Pipeline").click()
    card = page.locator(".deal-card", has_text="Left behind")
    expect(card.get_by_test_id("close-overdue")).to_have_text("Overdue")
