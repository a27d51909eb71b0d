"""Builders for the template and campaign tests (imported by those modules)."""

from customers.models import Customer
from customers.tests.factories import CustomerFactory

from ..models import Campaign, EmailTemplate, Segment, SegmentMember

HTML = (
    '<p>Hello {{ first_name|default:"friend" }},</p>'
    '<p><a href="https://example.com/offer">See the offer</a></p>'
    '<p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>'
)


def make_template(**fields) -> EmailTemplate:
    values = {"name": "Spring", "subject": "Hi {{ first_name }}", "html": HTML, "text": ""} | fields
    return EmailTemplate.objects.create(**values)


def make_segment(customers, name="Audience") -> Segment:
    segment = Segment.objects.create(name=name, kind=Segment.Kind.STATIC)
    SegmentMember.objects.bulk_create([SegmentMember(segment=segment, customer=c) for c in customers])
    return segment


def opted_in(n: int, **fields) -> list[Customer]:
    return CustomerFactory.create_batch(n, email_consent=Customer.Consent.OPTED_IN, **fields)


def make_campaign(*, include, exclude=(), template=None, **fields) -> Campaign:
    fields = {"name": "Spring sale"} | fields
    campaign = Campaign.objects.create(template=template or make_template(), **fields)
    campaign.include_segments.set(include)
    campaign.exclude_segments.set(exclude)
    return campaign
