"""A manager, in a real Chromium, creates an API token on their profile, registers a webhook
endpoint for a local receiver, moves a deal to another stage on the pipeline board, and finds
the delivery in the endpoint's log."""

import re

import pytest
from django.test import Client
from playwright.sync_api import expect
from standardwebhooks import Webhook

from sales.tests.factories import DealFactory, stage_named
from webhooks.models import WebhookEndpoint
from webhooks.receiver import Receiver

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_manager_creates_a_token_and_an_endpoint_moves_a_deal_and_sees_the_delivery_in_the_log(
    login_in_browser, manager, owner, live_server, settings
):
    settings.CRM_WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True  # the receiver listens on 127.0.0.1
    deal = DealFactory(owner=owner, title="Fleet renewal")
    analysis = stage_named("Needs analysis")

    with Receiver() as receiver:
        page = login_in_browser(manager)
        page.get_by_role("button", name=str(manager)).click()
        page.get_by_role("link", name="Profile").click()
        tokens = page.locator("#api-tokens")
        tokens.get_by_label("Name").fill("ERP sync")
        tokens.get_by_label("Read", exact=True).check()
        tokens.get_by_role("button", name="Create token").click()
        raw = page.get_by_label("Token").input_value()
        assert Client().get("/api/v1/customers/", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200

        page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Webhooks").click()
        page.get_by_role("link", name="New endpoint").click()
        page.get_by_label("Name").fill("ERP")
        page.get_by_label("URL").fill(receiver.url)
        page.get_by_role("checkbox", name=re.compile(r"deal\.stage_changed")).check()
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_role("heading", name="ERP")).to_be_visible()
        endpoint = WebhookEndpoint.objects.get()

        page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Pipeline").click()
        page.get_by_role("button", name="Actions for Fleet renewal").click()
        page.locator(f"#deal-card-{deal.pk} form.board-move").get_by_role("button", name="Needs analysis").click()
        expect(page.locator(f"#board-cards-{analysis.pk} #deal-card-{deal.pk}")).to_be_visible()

        page.goto(f"{live_server.url}/webhooks/{endpoint.pk}/")
        row = page.locator("#list-results tbody tr").filter(has_text="deal.stage_changed")
        expect(row).to_have_count(1)
        expect(row.locator("[data-status]")).to_have_text("Delivered")
        expect(row).to_contain_text("200")

    [request] = receiver.received
    payload = Webhook(endpoint.secret).verify(request.body, request.headers)
    assert (payload["type"], payload["data"]["id"]) == ("deal.stage_changed", deal.pk)
