"""The campaigns card on the customer's page."""

from django.urls import reverse

from customers.tests.factories import CustomerFactory
from marketing.models import OutboxMessage, TrackingEvent
from marketing.tests.factories import CampaignFactory, OutboxMessageFactory, TrackingEventFactory


def test_the_customer_page_lists_the_campaigns_the_customer_got_with_opens_and_clicks(client_for, owner):
    customer = CustomerFactory(owner=owner)
    spring = OutboxMessageFactory(customer=customer, campaign=CampaignFactory(name="Spring sale"))
    TrackingEventFactory.create_batch(2, message=spring, kind=TrackingEvent.Kind.OPEN)
    TrackingEventFactory(message=spring, kind=TrackingEvent.Kind.CLICK)
    OutboxMessageFactory(customer=customer, campaign=CampaignFactory(name="Autumn news"))
    OutboxMessageFactory(
        customer=customer,
        campaign=CampaignFactory(name="Held back"),
        status=OutboxMessage.Status.HOLDOUT,
        sent_at=None,
    )

    response = client_for(owner).get(reverse("customers:customer-detail", args=[customer.pk]))

    html = response.content.decode()
    assert 'id="customer-campaigns"' in html
    assert "Spring sale" in html and "Autumn news" in html
    assert "2 opens" in html and "1 click" in html
    assert "Held back" not in html  # the holdout got nothing


def test_the_panel_says_so_when_no_campaign_was_sent(client_for, owner):
    customer = CustomerFactory(owner=owner)
    response = client_for(owner).get(reverse("customers:customer-detail", args=[customer.pk]))
    assert "No campaigns sent yet." in response.content.decode()
