"""The marketing events (crm_project.events): a campaign that finishes sending and a
customer who unsubscribes tell the sinks once, inside the change's transaction."""

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from customers.models import Customer
from marketing import tokens
from marketing.models import Campaign, LeadForm, OutboxMessage
from marketing.services import campaigns, leadforms, sending, tracking
from marketing.tests.factories import OutboxMessageFactory

from .campaign_fixtures import make_campaign, make_segment, opted_in

OPTED_IN, OPTED_OUT = Customer.Consent.OPTED_IN, Customer.Consent.OPTED_OUT


class Rollback(Exception):
    pass


def names(emitted) -> list[str]:
    return [e["name"] for e in emitted]


@pytest.fixture
def message(db):
    return OutboxMessageFactory(
        customer__email_consent=OPTED_IN, customer__email="jane@example.com", email="jane@example.com"
    )


@pytest.fixture
def sending_campaign(db):
    """A campaign whose last message has just gone out."""
    campaign = make_campaign(include=[], status=Campaign.Status.SENDING, started_at=timezone.now())
    OutboxMessageFactory(campaign=campaign, status=OutboxMessage.Status.SENT)
    return campaign


# --- campaign.sent ------------------------------------------------------------------------------
def test_a_campaign_that_finishes_sending_emits_campaign_sent_once(
    emitted, manager, django_capture_on_commit_callbacks
):
    campaign = make_campaign(include=[make_segment(opted_in(3))])
    with django_capture_on_commit_callbacks(execute=True):
        campaigns.campaign_start(campaign=campaign, actor=manager)
    assert [(e["name"], e["instance"].pk, e["instance"].status) for e in emitted] == [
        ("campaign.sent", campaign.pk, Campaign.Status.SENT)
    ]


def test_finishing_is_announced_by_the_call_that_finishes_and_by_no_other(emitted, sending_campaign):
    assert sending.campaign_finish_if_done(campaign_id=sending_campaign.pk) is True
    assert sending.campaign_finish_if_done(campaign_id=sending_campaign.pk) is False
    assert emitted == [{"name": "campaign.sent", "instance": sending_campaign, "actor": None, "data": {}}]


def test_a_campaign_with_messages_left_to_send_emits_nothing(emitted, sending_campaign):
    OutboxMessageFactory(campaign=sending_campaign, status=OutboxMessage.Status.PENDING, sent_at=None)
    assert sending.campaign_finish_if_done(campaign_id=sending_campaign.pk) is False
    assert emitted == []


# --- email.unsubscribed (and consent.changed) --------------------------------------------------------
def test_the_unsubscribe_page_emits_the_consent_change_and_the_unsubscribe_once(emitted, message):
    path = reverse("marketing:unsubscribe", args=[tokens.unsubscribe_token(message.pk)])
    Client(enforce_csrf_checks=True).post(path)
    Client(enforce_csrf_checks=True).post(path, {"List-Unsubscribe": "One-Click"})  # the mail client's, later
    customer = message.customer
    assert names(emitted) == ["consent.changed", "email.unsubscribed"]
    assert emitted[0]["data"] == {"from_status": OPTED_IN, "status": OPTED_OUT, "source": "unsubscribe"}
    assert emitted[1] == {
        "name": "email.unsubscribed",
        "instance": customer,
        "actor": None,
        "data": {"campaign": message.campaign_id, "message": message.pk},
    }
    assert emitted[1]["instance"].email_consent == OPTED_OUT


def test_the_one_click_unsubscribe_emits_email_unsubscribed(emitted, message):
    path = reverse("marketing:unsubscribe", args=[tokens.unsubscribe_token(message.pk)])
    response = Client(enforce_csrf_checks=True).post(path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert names(emitted) == ["consent.changed", "email.unsubscribed"]


def test_a_drip_mails_unsubscribe_names_no_campaign(emitted, message):
    tracking.customer_unsubscribe(customer=message.customer, message=None)
    assert emitted[1]["data"] == {"campaign": None, "message": None}


def test_a_confirmed_web_form_opt_in_emits_consent_changed_from_the_form(emitted, db):
    form = LeadForm.objects.create(name="Newsletter", slug="newsletter", fields=[], is_published=True)
    submission = leadforms.submission_create(form=form, data={"email": "ann@example.com"}, consent=True)
    emitted.clear()
    customer = leadforms.submission_confirm(submission=submission)
    leadforms.submission_confirm(submission=submission)
    assert names(emitted) == ["customer.created", "consent.changed"]
    assert emitted[1]["instance"] == customer
    assert emitted[1]["data"] == {"from_status": Customer.Consent.UNKNOWN, "status": OPTED_IN, "source": "form"}


# --- the webhook outbox -------------------------------------------------------------------------
def _finish(message):  # another campaign's last message has gone out
    campaign = make_campaign(include=[], status=Campaign.Status.SENDING)
    sending.campaign_finish_if_done(campaign_id=campaign.pk)


def _unsubscribe(message):
    tracking.customer_unsubscribe(customer=message.customer, message=message)


CHANGES = {"campaign.sent": _finish, "email.unsubscribed": _unsubscribe}


@pytest.mark.parametrize("name", CHANGES)
def test_a_change_writes_one_event_and_a_delivery_per_subscribed_endpoint(webhook_outbox, message, name):
    webhook_outbox.subscribe(name)
    webhook_outbox.subscribe(name, "deal.won")
    CHANGES[name](message)
    assert webhook_outbox.events() == [name]
    assert webhook_outbox.deliveries() == 2


@pytest.mark.parametrize("name", CHANGES)
def test_a_rolled_back_change_leaves_the_outbox_empty(webhook_outbox, message, name):
    webhook_outbox.subscribe(name)
    with pytest.raises(Rollback), transaction.atomic():
        CHANGES[name](message)
        raise Rollback
    assert webhook_outbox.events() == []
    assert webhook_outbox.deliveries() == 0


@pytest.mark.parametrize("name", CHANGES)
def test_nothing_is_written_when_no_endpoint_subscribes(webhook_outbox, message, name):
    webhook_outbox.subscribe("deal.won")
    CHANGES[name](message)
    assert webhook_outbox.events() == []
    assert webhook_outbox.deliveries() == 0
