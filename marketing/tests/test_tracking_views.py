"""The public endpoints in campaign mails: unsubscribe, the open pixel, tracked links."""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from customers.models import ConsentEvent, Customer
from marketing import tokens
from marketing.models import TrackingEvent
from marketing.tests.factories import CampaignLinkFactory, OutboxMessageFactory

HUMAN_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120 Safari/537.36"
)


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    cache.clear()


@pytest.fixture
def message(db):
    return OutboxMessageFactory(
        customer__email_consent=Customer.Consent.OPTED_IN,
        customer__email="jane@example.com",
        email="jane@example.com",
        sent_at=timezone.now() - timedelta(hours=1),
    )


def unsubscribe_path(message) -> str:
    return reverse("marketing:unsubscribe", args=[tokens.unsubscribe_token(message.pk)])


def csrf_client() -> Client:
    return Client(enforce_csrf_checks=True)


def test_opening_the_unsubscribe_link_asks_and_changes_nothing(message):
    response = csrf_client().get(unsubscribe_path(message))
    assert response.status_code == 200
    assert b"Unsubscribe me" in response.content
    assert b"j\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2@example.com" in response.content  # masked address
    assert b'id="sidebar"' not in response.content  # no CRM navigation on the public page
    message.customer.refresh_from_db()
    assert message.customer.email_consent == Customer.Consent.OPTED_IN
    assert not ConsentEvent.objects.exists()
    assert not TrackingEvent.objects.exists()


def test_confirming_unsubscribes_through_the_consent_log(message):
    response = csrf_client().post(unsubscribe_path(message), HTTP_USER_AGENT=HUMAN_AGENT)
    assert response.status_code == 200
    assert b"You are unsubscribed" in response.content
    message.customer.refresh_from_db()
    assert message.customer.email_consent == Customer.Consent.OPTED_OUT
    event = ConsentEvent.objects.get()
    assert (event.customer, event.status, event.source, event.actor) == (
        message.customer,
        "opted_out",
        "unsubscribe",
        None,
    )
    assert TrackingEvent.objects.get().kind == TrackingEvent.Kind.UNSUBSCRIBE


def test_one_click_post_unsubscribes_without_csrf_and_answers_briefly(message):
    response = csrf_client().post(unsubscribe_path(message), {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert response.content == b"Unsubscribed.\n"
    message.customer.refresh_from_db()
    assert message.customer.email_consent == Customer.Consent.OPTED_OUT


def test_unsubscribing_twice_logs_the_change_once(message):
    client = csrf_client()
    client.post(unsubscribe_path(message), {"List-Unsubscribe": "One-Click"})
    client.post(unsubscribe_path(message), {"List-Unsubscribe": "One-Click"})
    assert ConsentEvent.objects.count() == 1
    assert TrackingEvent.objects.filter(kind=TrackingEvent.Kind.UNSUBSCRIBE).count() == 1


def test_bad_tokens_get_404_on_every_endpoint(message):
    link = CampaignLinkFactory(campaign=message.campaign)
    forged = tokens.open_token(message.pk)[:-3] + "xyz"
    client = csrf_client()
    assert client.get(reverse("marketing:unsubscribe", args=[forged])).status_code == 404
    assert client.post(reverse("marketing:unsubscribe", args=[forged])).status_code == 404
    assert client.get(reverse("marketing:track-open", args=[forged])).status_code == 404
    assert client.get(reverse("marketing:track-click", args=[forged])).status_code == 404
    # A genuine token of another kind is no good either.
    click = tokens.click_token(message.pk, link.pk)
    assert client.get(reverse("marketing:track-open", args=[click])).status_code == 404
    assert client.get(reverse("marketing:unsubscribe", args=[click])).status_code == 404
    message.customer.refresh_from_db()
    assert message.customer.email_consent == Customer.Consent.OPTED_IN
    assert not TrackingEvent.objects.exists()


def test_an_unsubscribe_link_of_a_deleted_customer_gets_404(message):
    Customer.objects.filter(pk=message.customer_id).update(deleted_at=timezone.now())
    assert csrf_client().post(unsubscribe_path(message)).status_code == 404


def test_unsubscribe_is_rate_limited_per_address(message, settings):
    from marketing.views import tracking

    client = csrf_client()
    path = unsubscribe_path(message)
    answers = [client.get(path).status_code for _ in range(tracking.UNSUBSCRIBE_RATE_PER_MINUTE + 1)]
    assert answers[:-1] == [200] * tracking.UNSUBSCRIBE_RATE_PER_MINUTE
    assert answers[-1] == 429


def test_the_open_pixel_is_a_gif_that_is_never_cached_and_records_the_open(message):
    response = Client().get(
        reverse("marketing:track-open", args=[tokens.open_token(message.pk)]), HTTP_USER_AGENT=HUMAN_AGENT
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "image/gif"
    assert response.content.startswith(b"GIF89a")
    assert "no-cache" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
    event = TrackingEvent.objects.get()
    assert (event.message, event.kind, event.source, event.user_agent) == (message, "open", "human", HUMAN_AGENT)


def test_a_click_redirects_to_the_stored_link_and_records_it(message):
    link = CampaignLinkFactory(campaign=message.campaign, url="https://shop.example.com/sale")
    response = Client().get(
        reverse("marketing:track-click", args=[tokens.click_token(message.pk, link.pk)]), HTTP_USER_AGENT=HUMAN_AGENT
    )
    assert response.status_code == 302
    assert response["Location"] == "https://shop.example.com/sale"
    event = TrackingEvent.objects.get()
    assert (event.kind, event.url, event.source) == ("click", "https://shop.example.com/sale", "human")


def test_a_click_token_cannot_lead_to_another_campaigns_link(message):
    other_campaigns_link = CampaignLinkFactory(url="https://evil.example.net/")
    token = tokens.click_token(message.pk, other_campaigns_link.pk)
    response = Client().get(reverse("marketing:track-click", args=[token]))
    assert response.status_code == 404
    assert not TrackingEvent.objects.exists()


def test_a_click_on_a_link_no_longer_stored_gets_404(message):
    link = CampaignLinkFactory(campaign=message.campaign)
    token = tokens.click_token(message.pk, link.pk)
    link.delete()
    assert Client().get(reverse("marketing:track-click", args=[token])).status_code == 404


def test_the_click_url_carries_no_target_to_redirect_to(message):
    link = CampaignLinkFactory(campaign=message.campaign, url="https://shop.example.com/sale")
    url = tokens.click_url(message.pk, link.pk)
    assert "shop.example.com" not in url
    response = Client().get(urlsplit(url).path + "?next=https://evil.example.net/")
    assert response["Location"] == "https://shop.example.com/sale"


def test_the_unsubscribe_page_speaks_turkish_to_a_turkish_browser(message):
    response = csrf_client().get(unsubscribe_path(message), HTTP_ACCEPT_LANGUAGE="tr")
    assert "Aboneliğimi iptal et" in response.content.decode()
