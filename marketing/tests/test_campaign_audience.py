"""A campaign's dynamic segments are refreshed when it starts (send now, or beat's
dispatch of a scheduled one), so its audience is who matches the rules then."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from customers.models import Customer
from marketing.models import Campaign, OutboxMessage, Segment
from marketing.services import campaigns, segments
from marketing.tasks import campaign_dispatch_due

from .campaign_fixtures import make_campaign, opted_in

pytestmark = pytest.mark.django_db

GERMANS = {"match": "all", "rules": [{"field": "country", "op": "eq", "value": "DE"}]}
VIPS = {"match": "all", "rules": [{"field": "lifecycle_stage", "op": "eq", "value": "customer"}]}


def _recipients() -> set[str]:
    return {message.to[0] for message in mail.outbox}


def _move_to(customer: Customer, **fields) -> None:
    Customer.objects.filter(pk=customer.pk).update(**fields)


def test_send_now_mails_who_matches_the_dynamic_segment_now(manager, django_capture_on_commit_callbacks):
    stayer, leaver = opted_in(2, country="DE")
    germans = segments.segment_create(actor=manager, name="Germans", rules=GERMANS)
    joiner = opted_in(1, country="FR")[0]
    _move_to(joiner, country="DE")  # matches since the last refresh
    _move_to(leaver, country="FR")  # no longer matches
    campaign = make_campaign(include=[germans])

    with django_capture_on_commit_callbacks(execute=True):
        campaigns.campaign_start(campaign=campaign, actor=manager)

    assert _recipients() == {stayer.email, joiner.email}
    assert Segment.objects.get(pk=germans.pk).member_count == 2


def test_beat_refreshes_include_and_exclude_segments_before_writing_a_scheduled_campaigns_outbox(
    manager, django_capture_on_commit_callbacks
):
    stayer, leaver, late_vip = opted_in(3, country="DE", lifecycle_stage=Customer.Stage.LEAD)
    germans = segments.segment_create(actor=manager, name="Germans", rules=GERMANS)
    vips = segments.segment_create(actor=manager, name="Customers", rules=VIPS)
    joiner = opted_in(1, country="DE", lifecycle_stage=Customer.Stage.LEAD)[0]
    _move_to(leaver, country="FR")
    _move_to(late_vip, lifecycle_stage=Customer.Stage.CUSTOMER)  # now excluded
    campaign = make_campaign(include=[germans], exclude=[vips])
    Campaign.objects.filter(pk=campaign.pk).update(
        status=Campaign.Status.SCHEDULED, scheduled_at=timezone.now() - timedelta(minutes=1)
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert campaign_dispatch_due.delay().get() == {"started": 1}

    assert _recipients() == {stayer.email, joiner.email}
    assert set(OutboxMessage.objects.values_list("customer_id", flat=True)) == {stayer.pk, joiner.pk}


def test_a_static_list_is_sent_as_it_stands(manager, django_capture_on_commit_callbacks):
    member = opted_in(1, country="DE")[0]
    frozen = segments.segment_freeze(
        segment=segments.segment_create(actor=manager, name="Germans", rules=GERMANS), actor=manager
    )
    opted_in(1, country="DE")  # matches the rules, but a frozen list does not follow them
    with django_capture_on_commit_callbacks(execute=True):
        campaigns.campaign_start(campaign=make_campaign(include=[frozen]), actor=manager)
    assert _recipients() == {member.email}


def test_a_segment_whose_rules_no_longer_validate_keeps_a_scheduled_campaign_waiting_with_the_reason(
    manager, django_capture_on_commit_callbacks
):
    opted_in(2, country="DE")
    germans = segments.segment_create(actor=manager, name="Germans", rules=GERMANS)
    broken = {"match": "all", "rules": [{"field": "custom_gone", "op": "eq", "value": "x"}]}
    Segment.objects.filter(pk=germans.pk).update(rules=broken)  # e.g. its custom field was removed
    campaign = make_campaign(include=[germans])
    Campaign.objects.filter(pk=campaign.pk).update(
        status=Campaign.Status.SCHEDULED, scheduled_at=timezone.now() - timedelta(minutes=1)
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert campaigns.campaign_dispatch_due() == 0

    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SCHEDULED
    assert "Germans" in campaign.error
    assert not OutboxMessage.objects.exists() and not mail.outbox
