"""A customer asks for help, follows their request by its link and rates the answer, in a real Chromium."""

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from support import tokens
from support.models import CsatSurvey, KbCategory, Queue, Ticket
from support.services import kb, tickets
from support.services.outbound import ticket_link

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_customer_asks_sees_only_the_reply_answers_and_rates_the_solved_ticket(browser_page, live_server, agent):
    # Transactional tests flush the data migration's rows: the web form's queue as it makes it.
    Queue.objects.update_or_create(slug="general", defaults={"name": "General", "auto_acknowledge": True})
    category = KbCategory.objects.create(name="Printers", slug="printers")
    kb.kb_article_create(category=category, title="When the printer smokes", body="<p>Unplug it.</p>",
                         status="published", visibility="public", actor=None)  # fmt: skip
    page = browser_page
    page.goto(f"{live_server.url}/help/new/")
    page.get_by_label("Your name").fill("Kim Lee")
    page.get_by_label("Your email").fill("kim@example.com")
    page.get_by_label("Subject").fill("Printer on fire")
    # Suggestions from the public knowledge base as the subject is typed.
    expect(page.locator("#kb-suggestions")).to_contain_text("When the printer smokes")
    page.get_by_label("How can we help?").fill("It smokes since this morning.")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you, we have your request")

    ticket = Ticket.objects.get()
    assert (ticket.channel, ticket.customer.email) == ("web", "kim@example.com")
    tickets.ticket_reply(ticket=ticket, actor=agent, body="A technician is on the way.")
    tickets.ticket_reply(ticket=ticket, actor=agent, body="Customer sounds angry, offer a discount", kind="internal")

    page.goto(live_server.url + urlsplit(ticket_link(ticket)).path)
    expect(page.get_by_role("heading", level=1)).to_have_text("Printer on fire")
    thread = page.locator("#thread")
    expect(thread).to_contain_text("It smokes since this morning.")
    expect(thread).to_contain_text("A technician is on the way.")
    expect(thread).not_to_contain_text("discount")
    page.get_by_label("Your answer").fill("Thank you, the smoke has stopped.")
    page.get_by_role("button", name="Send answer").click()
    expect(page.get_by_role("alert")).to_contain_text("your answer was added")
    expect(thread).to_contain_text("Thank you, the smoke has stopped.")

    ticket.refresh_from_db()
    tickets.ticket_set_status(ticket=ticket, status=Ticket.Status.SOLVED, actor=agent)
    survey = CsatSurvey.objects.get(ticket=ticket)
    page.goto(f"{live_server.url}/help/csat/{tokens.survey_token(survey)}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("How did we do?")
    page.get_by_label("5").check()
    page.get_by_label("Anything you would like to tell us? (optional)").fill("Fast and friendly")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you for your feedback")
    survey.refresh_from_db()
    assert (survey.score, survey.comment) == (5, "Fast and friendly")
