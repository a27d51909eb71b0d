"""The ticket page in a real Chromium: an agent writes an internal note and a
public reply with a macro, sets the ticket pending, and reads the thread."""

import pytest
from playwright.sync_api import expect

from customers.tests.factories import CustomerFactory
from support.models import Macro, Ticket, TicketMessage, TicketPresence
from support.tests.factories import TicketFactory, TicketMessageFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_an_agent_writes_a_note_and_a_macro_reply_and_sets_the_ticket_pending(
    login_in_browser, agent, queue, live_server
):
    customer = CustomerFactory(first_name="Kim", last_name="Lee", email="kim@example.com")
    ticket = TicketFactory(queue=queue, customer=customer, subject="Printer is on fire")
    TicketMessageFactory(ticket=ticket, body="My printer burns")
    Macro.objects.create(name="Apology", body="Hello {{ customer.first_name }}, sorry about #{{ ticket.id }}.")

    page = login_in_browser(agent)
    page.goto(f"{live_server.url}/support/tickets/{ticket.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Printer is on fire")
    # The page announces its viewer as soon as it has loaded (then every 10 s).
    for _ in range(50):
        if TicketPresence.objects.filter(ticket=ticket, user=agent).exists():
            break
        page.wait_for_timeout(100)
    assert TicketPresence.objects.filter(ticket=ticket, user=agent, replying=False).exists()

    page.locator("label[for=kind-internal]").click()
    page.get_by_label("Message").fill("The customer sounds upset")
    # Typing marks the agent as replying for the others within about a second.
    for _ in range(50):
        if TicketPresence.objects.filter(ticket=ticket, user=agent, replying=True).exists():
            break
        page.wait_for_timeout(100)
    assert TicketPresence.objects.filter(ticket=ticket, user=agent, replying=True).exists()
    page.locator("#reply").get_by_role("button", name="Send").click()
    expect(page.get_by_role("alert")).to_contain_text("Your internal note was added.")
    note = page.locator("[data-kind=internal]")
    expect(note).to_contain_text("Internal note")
    expect(note).to_contain_text("The customer sounds upset")
    assert "border-warning" in (note.get_attribute("class") or "")
    # The tint is visible: the note's background is not the plain white of a reply.
    background = note.evaluate("el => getComputedStyle(el).backgroundColor")
    assert background not in ("rgb(255, 255, 255)", "rgba(0, 0, 0, 0)")

    page.locator("label[for=kind-public]").click()
    page.get_by_label("Macro").select_option(label="Apology")
    expect(page.get_by_label("Message")).to_have_value(f"Hello Kim, sorry about #{ticket.pk}.")
    page.locator("#reply").get_by_role("button", name="Send").click()
    expect(page.get_by_role("alert")).to_contain_text("Your reply was sent to the customer.")
    reply = page.locator("[data-kind=public]").last
    expect(reply).to_contain_text(f"Hello Kim, sorry about #{ticket.pk}.")
    assert "border-warning" not in (reply.get_attribute("class") or "")

    page.locator("#ticket-status").select_option("pending")
    page.locator("#controls form").filter(has=page.locator("#ticket-status")).get_by_role("button", name="Set").click()
    expect(page.get_by_role("alert")).to_contain_text("The status is now Pending")
    expect(page.get_by_test_id("ticket-status")).to_have_text("Pending (waiting on the customer)")
    expect(page.locator("#history")).to_contain_text("Status changed from Open to Pending (waiting on the customer)")

    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.PENDING
    assert list(ticket.messages.values_list("kind", flat=True)) == [
        TicketMessage.Kind.PUBLIC, TicketMessage.Kind.INTERNAL, TicketMessage.Kind.PUBLIC,
    ]  # fmt: skip
