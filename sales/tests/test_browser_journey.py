"""The whole sales journey of the issue, in one real Chromium session:
a rep converts a lead, drags the deal across two stages, wins it, turns it
into an order and sees it on the customer page; the manager sees it in the forecast."""

from decimal import Decimal

import pytest
from django.utils import timezone
from django.utils.formats import date_format
from playwright.sync_api import expect

from sales.models import Deal, Lead, Order
from sales.tests.factories import LeadFactory, stage_named
from sales.tests.test_browser_deals import drag_card

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_lead_becomes_a_won_deal_an_order_and_a_forecast_figure(login_in_browser, owner, manager, live_server):
    lead = LeadFactory(owner=owner, first_name="Katherine", last_name="Johnson", status=Lead.Status.QUALIFIED)
    page = login_in_browser(owner)

    # 1. Convert the lead, with a deal.
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Leads").click()
    page.get_by_role("link", name="Katherine Johnson").click()
    page.get_by_role("link", name="Convert").click()
    page.get_by_label("Also create a deal").check()
    page.get_by_label("Amount").fill("4200.00")
    page.get_by_role("button", name="Convert lead").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Katherine Johnson")
    deal = Deal.objects.get(customer__last_name="Johnson")
    assert deal.amount == Decimal("4200.00")
    lead.refresh_from_db()
    assert lead.deal == deal

    # 2. Drag it across two stages on the board, then win it with the card's "⋯" menu.
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Pipeline").click()
    for stage_name in ("Needs analysis", "Proposal"):
        stage = stage_named(stage_name)
        drag_card(page, deal, stage)
        expect(page.locator(f"#board-count-{stage.pk}")).to_have_text("1")  # the server's answer
        assert Deal.objects.get(pk=deal.pk).stage == stage
    page.get_by_role("button", name=f"Actions for {deal.title}").click()
    page.locator(f"#deal-card-{deal.pk} form.board-move").get_by_role("button", name="Won").click()
    expect(page.locator(f"#board-count-{stage_named('Won').pk}")).to_have_text("1")
    assert Deal.objects.get(pk=deal.pk).status == Deal.Status.WON

    # 3. The won deal becomes an order, which the customer page shows.
    # (a won card leaves the board for the Won drop zone: the deal list finds it)
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Deals").click()
    page.locator("#deal-table").get_by_role("link", name=deal.title).click()
    page.get_by_role("button", name="Create order").click()
    expect(page.get_by_role("alert")).to_contain_text("was created from this deal")
    order = Order.objects.get(deal=deal)
    page.get_by_role("link", name="Katherine Johnson").first.click()
    expect(page.locator("#customer-orders")).to_contain_text(order.order_ref)
    expect(page.locator("#timeline-entries")).to_contain_text(order.order_ref)

    # 4. The manager sees it as closed-won this month in the forecast.
    page.context.clear_cookies()
    page = login_in_browser(manager)
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Forecast").click()
    month = date_format(timezone.localdate().replace(day=1), "YEAR_MONTH_FORMAT")
    row = page.locator("#forecast-table tbody tr", has_text=month)
    expect(row.get_by_test_id("closed-won")).to_have_text("4,200.00")
