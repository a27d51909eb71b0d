"""Templates and campaigns: sanitising, the outbox INSERT … SELECT and its consent rules,
holdout, claims, scheduling and the test copy."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from customers.models import Customer
from customers.tests.factories import CustomerFactory
from marketing.models import Campaign, CampaignLink, OutboxMessage
from marketing.services import campaigns, sending, templates

from .campaign_fixtures import make_campaign, make_segment, make_template, opted_in

pytestmark = pytest.mark.django_db


def test_saving_a_template_strips_scripts_and_makes_the_text_part(manager):
    template = templates.template_create(
        name="T", subject="Hi", html='<p onclick="x()">Hello <a href="https://e.com/a">there</a></p><script>bad()</script>',
        actor=manager,
    )  # fmt: skip
    assert "script" not in template.html and "onclick" not in template.html
    assert template.text == "Hello there (https://e.com/a)"


def test_a_template_without_an_unsubscribe_link_gets_a_footer_at_send_time():
    template = make_template(html="<p>Hi</p>", text="Hi")
    subject, html, text = templates.prepare(template=template, links={}).render({"unsubscribe_url": "https://u/1"})
    assert 'href="https://u/1"' in html
    assert "https://u/1" in text


def test_opted_in_only_one_row_per_address_and_excluded_segments_left_out(manager):
    wanted = opted_in(3)
    unknown = CustomerFactory(email_consent=Customer.Consent.UNKNOWN)
    opted_out = CustomerFactory(email_consent=Customer.Consent.OPTED_OUT)
    no_email = CustomerFactory(email="", email_consent=Customer.Consent.OPTED_IN)
    deleted = CustomerFactory(email_consent=Customer.Consent.OPTED_IN, deleted_at=timezone.now())
    twin = CustomerFactory(email=wanted[0].email.upper(), email_consent=Customer.Consent.OPTED_IN)
    excluded = CustomerFactory(email_consent=Customer.Consent.OPTED_IN)
    audience = make_segment([*wanted, unknown, opted_out, no_email, deleted, twin, excluded])
    campaign = make_campaign(include=[audience], exclude=[make_segment([excluded], name="VIP")])

    written = campaigns.outbox_insert(campaign=campaign, now=timezone.now())

    assert written == 3
    assert set(OutboxMessage.objects.values_list("customer_id", flat=True)) == {c.pk for c in wanted}
    assert OutboxMessage.objects.filter(status="pending").count() == 3


def test_starting_a_campaign_writes_the_outbox_and_links_and_sends_it(manager, django_capture_on_commit_callbacks):
    people = opted_in(5)
    campaign = make_campaign(include=[make_segment(people)])
    with django_capture_on_commit_callbacks(execute=True):
        campaigns.campaign_start(campaign=campaign, actor=manager)

    campaign.refresh_from_db()
    assert list(CampaignLink.objects.filter(campaign=campaign).values_list("url", flat=True)) == [
        "https://example.com/offer"
    ]
    assert OutboxMessage.objects.filter(campaign=campaign, status="sent").count() == 5
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in people)
    assert campaign.status == Campaign.Status.SENT and campaign.finished_at


def test_a_campaign_cannot_be_started_twice(manager, django_capture_on_commit_callbacks):
    campaign = make_campaign(include=[make_segment(opted_in(2))])
    campaigns.campaign_start(campaign=campaign, actor=manager)
    with pytest.raises(ValidationError):
        campaigns.campaign_start(campaign=campaign, actor=manager)
    assert OutboxMessage.objects.count() == 2


def test_holdout_is_deterministic_and_near_its_share():
    people = opted_in(400)
    segment = make_segment(people)
    first = make_campaign(include=[segment], holdout_percent=10)
    campaigns.outbox_insert(campaign=first, now=timezone.now())
    held = set(OutboxMessage.objects.filter(campaign=first, status="holdout").values_list("customer_id", flat=True))

    expected = {p.pk for p in people if campaigns.holdout_bucket(campaign_id=first.pk, customer_id=p.pk) < 10}
    assert held == expected
    assert 15 <= len(held) <= 70  # about 10% of 400
    OutboxMessage.objects.filter(campaign=first).delete()
    campaigns.outbox_insert(campaign=first, now=timezone.now())
    assert (
        set(OutboxMessage.objects.filter(campaign=first, status="holdout").values_list("customer_id", flat=True))
        == held
    )


def test_the_recipients_rfm_segment_is_stored(manager):
    from analytics.models import RfmRun, RfmScore, RfmSegment

    person = opted_in(1)[0]
    run = RfmRun.objects.create(as_of=timezone.localdate(), scores_kept=True)
    at_risk = RfmSegment.objects.get(name="At Risk")  # a default segment, from the migration
    RfmScore.objects.create(
        run=run, customer=person, recency_days=200, frequency=4, monetary=100,
        r_score=1, f_score=4, m_score=3, segment=at_risk,
    )  # fmt: skip
    campaign = make_campaign(include=[make_segment([person])])
    campaigns.outbox_insert(campaign=campaign, now=timezone.now())
    assert OutboxMessage.objects.get().rfm_segment == "At Risk"


def test_two_claims_on_the_same_ids_only_one_wins():
    campaign = make_campaign(include=[make_segment(opted_in(3))])
    campaigns.outbox_insert(campaign=campaign, now=timezone.now())
    ids = list(OutboxMessage.objects.values_list("pk", flat=True))

    first = sending.outbox_claim(ids=ids)
    second = sending.outbox_claim(ids=ids)

    assert first == sorted(ids) and second == []
    row = OutboxMessage.objects.get(pk=ids[0])
    assert row.status == "claimed" and row.message_id == f"<mkt-{row.pk}-{campaign.pk}@mail.crm.localhost>"


def test_a_claim_past_its_lease_can_be_taken_again_with_the_same_message_id():
    campaign = make_campaign(include=[make_segment(opted_in(1))])
    campaigns.outbox_insert(campaign=campaign, now=timezone.now())
    [pk] = sending.outbox_claim(ids=list(OutboxMessage.objects.values_list("pk", flat=True)))
    message_id = OutboxMessage.objects.get(pk=pk).message_id
    OutboxMessage.objects.filter(pk=pk).update(claimed_until=timezone.now() - timedelta(seconds=1))

    assert sending.outbox_claim(ids=[pk]) == [pk]
    row = OutboxMessage.objects.get(pk=pk)
    assert row.message_id == message_id and row.attempts == 2


def test_someone_who_opted_out_since_the_start_is_skipped(manager):
    people = opted_in(2)
    campaign = make_campaign(include=[make_segment(people)], status=Campaign.Status.SENDING)
    campaigns.outbox_insert(campaign=campaign, now=timezone.now())
    Customer.objects.filter(pk=people[0].pk).update(email_consent=Customer.Consent.OPTED_OUT)

    sending.outbox_send_batch(ids=list(OutboxMessage.objects.values_list("pk", flat=True)))

    assert OutboxMessage.objects.get(customer=people[0]).status == "skipped"
    assert [m.to for m in mail.outbox] == [[people[1].email]]


def test_a_sent_message_has_stable_headers_tracked_links_and_the_pixel():
    person = opted_in(1, first_name="Ann")[0]
    campaign = make_campaign(include=[make_segment([person])], status=Campaign.Status.SENDING)
    campaigns.outbox_insert(campaign=campaign, now=timezone.now())
    CampaignLink.objects.create(campaign=campaign, url="https://example.com/offer")
    row = OutboxMessage.objects.get()

    sending.outbox_send_batch(ids=[row.pk])

    message = mail.outbox[0]
    row.refresh_from_db()
    assert message.subject == "Hi Ann"
    assert message.extra_headers["Message-ID"] == row.message_id
    assert message.extra_headers["List-Unsubscribe"].startswith("<http://127.0.0.1:8000/marketing/u/")
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    html = message.alternatives[0].content
    assert "/marketing/t/c/" in html and "https://example.com/offer" not in html
    assert "/marketing/t/o/" in html
    assert row.status == "sent" and row.sent_at


def test_a_repeated_batch_finds_its_rows_sent_and_sends_nothing():
    campaign = make_campaign(include=[make_segment(opted_in(2))], status=Campaign.Status.SENDING)
    campaigns.outbox_insert(campaign=campaign, now=timezone.now())
    ids = list(OutboxMessage.objects.values_list("pk", flat=True))
    sending.outbox_send_batch(ids=ids)
    sending.outbox_send_batch(ids=ids)
    assert len(mail.outbox) == 2


def test_a_paused_campaigns_batch_leaves_its_rows_pending():
    campaign = make_campaign(include=[make_segment(opted_in(2))], status=Campaign.Status.PAUSED)
    campaigns.outbox_insert(campaign=campaign, now=timezone.now())
    sending.outbox_send_batch(ids=list(OutboxMessage.objects.values_list("pk", flat=True)))
    assert mail.outbox == []
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"pending"}


def test_beat_starts_only_due_scheduled_campaigns_once(django_capture_on_commit_callbacks):
    segment = make_segment(opted_in(2))
    due = make_campaign(include=[segment], status="scheduled", scheduled_at=timezone.now() - timedelta(minutes=1))
    later = make_campaign(include=[segment], status="scheduled", scheduled_at=timezone.now() + timedelta(hours=1))

    with django_capture_on_commit_callbacks(execute=True):
        assert campaigns.campaign_dispatch_due() == 1
        assert campaigns.campaign_dispatch_due() == 0

    due.refresh_from_db(), later.refresh_from_db()
    assert due.status == "sent" and later.status == "scheduled"
    assert len(mail.outbox) == 2


def test_scheduling_in_the_past_is_refused(manager):
    campaign = make_campaign(include=[make_segment(opted_in(1))])
    with pytest.raises(ValidationError):
        campaigns.campaign_schedule(campaign=campaign, when=timezone.now() - timedelta(minutes=5), actor=manager)


def test_a_test_send_mails_the_user_one_marked_copy_and_writes_no_outbox_row(manager):
    manager.email = "maria@example.com"
    campaign = make_campaign(include=[make_segment(opted_in(3))])
    campaigns.campaign_send_test(campaign=campaign, actor=manager)
    assert [(m.to, m.subject) for m in mail.outbox] == [(["maria@example.com"], "[TEST] Hi Maria")]
    assert OutboxMessage.objects.count() == 0


def test_stale_rows_are_requeued_and_sent(settings):
    campaign = make_campaign(include=[make_segment(opted_in(3))], status=Campaign.Status.SENDING)
    campaigns.outbox_insert(campaign=campaign, now=timezone.now())
    ids = list(OutboxMessage.objects.values_list("pk", flat=True))
    sending.outbox_claim(ids=ids[:1])  # a worker claimed it, then died
    OutboxMessage.objects.filter(pk=ids[0]).update(claimed_until=timezone.now() - timedelta(seconds=1))

    assert sending.outbox_requeue_stale() == {"requeued": 3}
    assert OutboxMessage.objects.filter(status="sent").count() == 3
    campaign.refresh_from_db()
    assert campaign.status == "sent"
