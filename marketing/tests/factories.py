import factory
from django.utils import timezone

from customers.tests.factories import CustomerFactory
from marketing.models import Campaign, CampaignLink, EmailTemplate, OutboxMessage, TrackingEvent


class EmailTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EmailTemplate

    name = factory.Sequence(lambda n: f"Template {n}")
    subject = "News for {{ first_name }}"
    html = "<p>Hello {{ first_name }}</p>"


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    name = factory.Sequence(lambda n: f"Campaign {n}")
    template = factory.SubFactory(EmailTemplateFactory)
    status = Campaign.Status.SENT
    started_at = factory.LazyFunction(timezone.now)


class CampaignLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CampaignLink

    campaign = factory.SubFactory(CampaignFactory)
    url = factory.Sequence(lambda n: f"https://shop.example.com/offer/{n}")


class OutboxMessageFactory(factory.django.DjangoModelFactory):
    """A sent message; pass status=… and sent_at=None for holdout rows."""

    class Meta:
        model = OutboxMessage

    campaign = factory.SubFactory(CampaignFactory)
    customer = factory.SubFactory(CustomerFactory)
    email = factory.LazyAttribute(lambda m: m.customer.email)
    status = OutboxMessage.Status.SENT
    sent_at = factory.LazyFunction(timezone.now)


class TrackingEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrackingEvent

    message = factory.SubFactory(OutboxMessageFactory)
    kind = TrackingEvent.Kind.OPEN
    source = TrackingEvent.Source.HUMAN
