"""The tracking endpoints read the tokens the sender writes (marketing.tokens)."""

import pytest

from marketing import tokens
from marketing.tests.factories import CampaignLinkFactory, OutboxMessageFactory

pytestmark = pytest.mark.django_db


def test_an_unsubscribe_token_names_its_message_and_customer():
    message = OutboxMessageFactory()
    token = tokens.unsubscribe_token(message.pk)
    assert tokens.unsubscribe_from_token(token) == {"customer_id": message.customer_id, "message_id": message.pk}


def test_a_tampered_token_of_any_kind_reads_as_none():
    message = OutboxMessageFactory()
    link = CampaignLinkFactory(campaign=message.campaign)
    assert tokens.unsubscribe_from_token(tokens.unsubscribe_token(message.pk) + "x") is None
    assert tokens.tracking_from_token(tokens.open_token(message.pk) + "x", "open") is None
    assert tokens.tracking_from_token(tokens.click_token(message.pk, link.pk) + "x", "click") is None


def test_a_token_of_one_kind_is_no_use_as_another():
    message = OutboxMessageFactory()
    assert tokens.tracking_from_token(tokens.open_token(message.pk), "click") is None
    assert tokens.unsubscribe_from_token(tokens.open_token(message.pk)) is None
    assert tokens.tracking_from_token(tokens.unsubscribe_token(message.pk), "open") is None


def test_a_click_token_carries_the_link_id_never_a_url():
    message = OutboxMessageFactory()
    link = CampaignLinkFactory(campaign=message.campaign)
    token = tokens.click_token(message.pk, link.pk)
    assert tokens.tracking_from_token(token, "click") == {"message_id": message.pk, "link_id": link.pk}
    assert "example" not in token


def test_the_urls_are_absolute_and_short(settings):
    settings.CRM_SITE_URL = "https://crm.example.com"
    message = OutboxMessageFactory()
    assert tokens.unsubscribe_url(message.pk).startswith("https://crm.example.com/marketing/u/")
    assert tokens.open_pixel_url(message.pk).endswith(".gif")
    assert len(tokens.open_pixel_url(message.pk)) < 120
