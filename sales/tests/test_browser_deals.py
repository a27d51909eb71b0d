"""A sales rep works the pipeline board in a real Chromium: drag and drop, drop zones, the "⋯" menu, a lost reason."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from sales.models import Deal
from sales.tests.factories import DealFactory, stage_named

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def column_count(page, stage):
    return page.locator(f"#board-count-{stage.pk}")


def drag_card(page, deal, stage):
    """Drag the card by its body (not its link or menu) into the stage's column."""
    card = page.locator(f"#deal-card-{deal.pk}")
    box = card.bounding_box()
    card.drag_to(
        page.locator(f"#board-cards-{stage.pk}"),
        source_position={"x": box["width"] - 8, "y": 36},
        target_position={"x": 40, "y": 30},
        steps=20,
    )


def drag_card_to_dropzone(page, deal, stage):
    """Won and Lost appear at the bottom only once a drag has started: press, move, then find them."""
    card = page.locator(f"#deal-card-{deal.pk}")
    box = card.bounding_box()
    page.mouse.move(box["x"] + box["width"] - 8, box["y"] + 36)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] - 8, box["y"] + 60, steps=5)
    zone = page.locator(f"#board-cards-{stage.pk}")
    expect(zone).to_be_visible()
    target = zone.bounding_box()
    page.mouse.move(target["x"] + 40, target["y"] + 20, steps=20)
    page.mouse.up()


def stage_of(deal) -> str:
    return Deal.objects.select_related("stage").get(pk=deal.pk).stage.name


def test_a_rep_drags_a_deal_across_the_board_and_wins_it_with_the_stage_menu(login_in_browser, owner, live_server):
    deal = DealFactory(owner=owner, title="Fleet renewal", amount=Decimal("1200.00"))
    DealFactory(owner=owner, title="Office chairs", amount=Decimal("300.00"))
    qualification, analysis, proposal, won = (
        stage_named(name) for name in ("Qualification", "Needs analysis", "Proposal", "Won")
    )
    page = login_in_browser(owner)
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Pipeline").click()
    expect(page.locator(f"#board-cards-{qualification.pk}").get_by_role("link", name="Fleet renewal")).to_be_visible()
    expect(column_count(page, qualification)).to_have_text("2")
    expect(page.locator(f"#board-total-{qualification.pk}")).to_have_text("1,500.00 EUR")

    drag_card(page, deal, analysis)
    expect(column_count(page, analysis)).to_have_text("1")
    expect(column_count(page, qualification)).to_have_text("1")
    expect(page.locator(f"#board-cards-{analysis.pk} #deal-card-{deal.pk}")).to_be_visible()
    assert stage_of(deal) == "Needs analysis"

    drag_card(page, deal, proposal)
    expect(column_count(page, proposal)).to_have_text("1")
    expect(column_count(page, analysis)).to_have_text("0")
    expect(page.locator(f"#board-total-{proposal.pk}")).to_have_text("1,200.00 EUR")
    assert stage_of(deal) == "Proposal"

    # The keyboard's way: the card's "⋯" menu. Arrow keys only move the focus between stages.
    page.evaluate("window.notReloaded = true")
    expect(page.get_by_test_id("pipeline-total")).to_have_text("1,500.00 EUR")
    page.get_by_role("button", name="Actions for Fleet renewal").focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    assert stage_of(deal) == "Proposal"
    menu = page.locator(f"#deal-card-{deal.pk} form.board-move")
    menu.get_by_role("button", name="Won").focus()
    page.keyboard.press("Enter")
    expect(column_count(page, won)).to_have_text("1")
    expect(column_count(page, proposal)).to_have_text("0")
    expect(page.get_by_test_id("pipeline-total")).to_have_text("300.00 EUR")  # only the chairs are open
    assert page.evaluate("window.notReloaded") is True
    deal.refresh_from_db()
    assert (deal.stage.name, deal.status) == ("Won", Deal.Status.WON)


def test_dropping_a_deal_on_lost_asks_for_the_reason(login_in_browser, owner, live_server):
    deal = DealFactory(owner=owner, title="Printer fleet")
    qualification, lost = stage_named("Qualification"), stage_named("Lost")
    page = login_in_browser(owner)
    page.goto(f"{live_server.url}/sales/pipeline/")
    expect(column_count(page, qualification)).to_have_text("1")

    # Cancelling puts the card back where it was.
    drag_card_to_dropzone(page, deal, lost)
    dialog = page.get_by_role("dialog", name="Mark the deal as lost")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(page.locator(f"#board-cards-{qualification.pk} #deal-card-{deal.pk}")).to_be_visible()
    assert stage_of(deal) == "Qualification"

    drag_card_to_dropzone(page, deal, lost)
    expect(dialog).to_be_visible()
    dialog.get_by_label("Why was the deal lost?").fill("Bought second-hand")
    dialog.get_by_role("button", name="Mark lost").click()
    expect(column_count(page, lost)).to_have_text("1")
    expect(column_count(page, qualification)).to_have_text("0")
    deal.refresh_from_db()
    assert (deal.status, deal.lost_reason) == (Deal.Status.LOST, "Bought second-hand")


def test_a_rep_marks_a_deal_lost_from_the_cards_menu_with_the_keyboard(login_in_browser, owner, live_server):
    deal = DealFactory(owner=owner, title="Copier lease")
    qualification, lost = stage_named("Qualification"), stage_named("Lost")
    page = login_in_browser(owner)
    page.goto(f"{live_server.url}/sales/pipeline/")
    expect(column_count(page, qualification)).to_have_text("1")

    page.get_by_role("button", name="Actions for Copier lease").focus()
    page.keyboard.press("Enter")
    menu = page.locator(f"#deal-card-{deal.pk} form.board-move")
    expect(menu).to_be_visible()
    menu.get_by_role("button", name="Lost").focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Mark the deal as lost")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Why was the deal lost?")).to_be_focused()
    page.keyboard.type("Chose a cheaper lease")
    page.keyboard.press("Enter")

    expect(column_count(page, lost)).to_have_text("1")
    expect(column_count(page, qualification)).to_have_text("0")
    deal.refresh_from_db()
    assert (deal.status, deal.lost_reason) == (Deal.Status.LOST, "Chose a cheaper lease")


def test_a_manager_filters_the_deal_list_and_the_footer_total_follows(login_in_browser, manager, owner, teammate):
    DealFactory(owner=owner, title="Fleet renewal", amount=Decimal("1200.00"))
    DealFactory(owner=teammate, title="Office chairs", amount=Decimal("300.00"))
    DealFactory(owner=teammate, title="Fleet tracking", amount=Decimal("45.50"))
    page = login_in_browser(manager)
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Deals").click()
    totals = page.get_by_test_id("list-totals")
    expect(totals).to_have_text("1,545.50 EUR")
    page.get_by_placeholder("Title or customer").fill("fleet")
    page.keyboard.press("Enter")
    expect(page.locator("#deal-table tbody tr")).to_have_count(2)
    expect(totals).to_have_text("1,245.50 EUR")
    # The footer adds up the filtered set, not the page: one row a page, the same total.
    page.goto(page.url + "&per_page=1")
    expect(page.locator("#deal-table tbody tr")).to_have_count(1)
    expect(totals).to_have_text("1,245.50 EUR")
    expect(page.locator("#deal-table tfoot")).to_contain_text("Total of all pages")
    # On a phone the rows are cards and the totals follow them, without sideways scrolling.
    page.set_viewport_size({"width": 390, "height": 844})
    expect(totals).to_be_visible()
    expect(page.locator("#deal-table tfoot")).to_contain_text("Total of all pages")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_every_open_stage_fits_a_1440_pixel_screen(login_in_browser, owner, live_server):
    DealFactory(owner=owner, title="Fleet renewal")
    page = login_in_browser(owner)
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"{live_server.url}/sales/pipeline/")
    expect(page.get_by_role("link", name="Fleet renewal")).to_be_visible()
    board = page.locator("#board")
    assert board.evaluate("element => element.scrollWidth <= element.clientWidth")
    for name in ("Qualification", "Needs analysis", "Proposal", "Negotiation"):
        expect(page.get_by_role("heading", name=name, exact=True)).to_be_in_viewport()
