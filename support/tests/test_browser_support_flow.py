"""The whole support loop in a real Chromium, each person in their own browser:
a customer writes in, an agent answers and leaves an internal note, the customer
follows the link from their mail (the reply, never the note) and answers, the
agent solves, the customer rates the answer from the survey mail."""

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from support.models import CsatSurvey, OutboundEmail, Queue, Ticket, TicketMessage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LINK = re.compile(r"https?://\S+/help/(?:t|csat)/\S+/")


def _link_in_mail(ticket: Ticket, kind: str) -> str:
    """The path of the link in the mail of this kind (as the customer would click it)."""
    found = LINK.search(OutboundEmail.objects.get(ticket=ticket, kind=kind).body)
    assert found, f"no link in the {kind} mail"
    return urlsplit(found.group(0)).path


def test_a_request_goes_from_the_form_to_a_rated_answer(login_in_browser, browser, live_server, agent):
    # Transactional tests flush the data migration's rows: make the web form's queue, worked by the agent.
    general, _ = Queue.objects.update_or_create(slug="general", defaults={"name": "General", "auto_acknowledge": True})
    general.members.add(agent)
    customer = browser.new_context().new_page()
    customer.set_default_timeout(10_000)

    customer.goto(f"{live_server.url}/help/new/")
    customer.get_by_label("Your name").fill("Kim Lee")
    customer.get_by_label("Your email").fill("kim@example.com")
    customer.get_by_label("Subject").fill("Invoice shows the wrong address")
    customer.get_by_label("How can we help?").fill("My invoice 1042 has last year's address.")
    customer.get_by_role("button", name="Send", exact=True).click()
    expect(customer.get_by_role("heading", level=1)).to_have_text("Thank you, we have your request")
    ticket = Ticket.objects.get()

    page = login_in_browser(agent)
    page.goto(f"{live_server.url}/support/tickets/{ticket.pk}/")
    expect(page.locator("#thread")).to_contain_text("My invoice 1042 has last year's address.")
    page.locator("label[for=kind-internal]").click()
    page.get_by_label("Message").fill("Billing changed the address template last week")
    page.locator("#reply").get_by_role("button", name="Send").click()
    expect(page.get_by_role("alert")).to_contain_text("Your internal note was added.")
    page.locator("label[for=kind-public]").click()
    page.get_by_label("Message").fill("Sorry about that, here is the corrected invoice.")
    page.locator("#reply").get_by_role("button", name="Send").click()
    expect(page.get_by_role("alert")).to_contain_text("Your reply was sent to the customer.")

    customer.goto(live_server.url + _link_in_mail(ticket, OutboundEmail.Kind.ACKNOWLEDGEMENT))
    thread = customer.locator("#thread")
    expect(thread).to_contain_text("Sorry about that, here is the corrected invoice.")
    expect(thread).not_to_contain_text("address template")
    customer.get_by_label("Your answer").fill("Perfect, thank you.")
    customer.get_by_role("button", name="Send answer").click()
    expect(thread).to_contain_text("Perfect, thank you.")

    page.reload()
    expect(page.locator("#thread")).to_contain_text("Perfect, thank you.")
    page.locator("#ticket-status").select_option("solved")
    page.locator("#controls form").filter(has=page.locator("#ticket-status")).get_by_role("button", name="Set").click()
    expect(page.get_by_test_id("ticket-status")).to_have_text("Solved")

    customer.goto(live_server.url + _link_in_mail(ticket, OutboundEmail.Kind.SURVEY))
    customer.get_by_label("5").check()
    customer.get_by_role("button", name="Send", exact=True).click()
    expect(customer.get_by_role("heading", level=1)).to_have_text("Thank you for your feedback")

    survey = CsatSurvey.objects.get(ticket=ticket)
    assert (survey.score, survey.agent) == (5, agent)  # answering the unassigned ticket assigned it
    kinds = list(ticket.messages.values_list("kind", "from_customer"))
    assert kinds == [
        (TicketMessage.Kind.PUBLIC, True), (TicketMessage.Kind.INTERNAL, False),
        (TicketMessage.Kind.PUBLIC, False), (TicketMessage.Kind.PUBLIC, True),
    ]  # fmt: skip
