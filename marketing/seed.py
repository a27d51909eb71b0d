"""Demo marketing data for seed_demo ("marketing.seed.seed_demo"): deterministic, idempotent.

A published lead form `newsletter` (email, first name, consent), a static list of
opted-in customers (the segments' rules are another part's), a template, and a
campaign already SENT to that list: its outbox rows (a 5 % holdout not sent, a
few bounces), opens and clicks (people, privacy proxies, scanners), built with
bulk_create because the demo shows a report, not a send. And an active drip
sequence "Welcome" triggered by the newsletter form: the welcome mail at once,
a tag after 3 days, a task for the customer's owner 7 days after that; it ends
when the subscriber places an order."""

import random
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts import roles
from accounts.models import User
from customers.models import Customer, Tag

from .models import (
    Campaign,
    CampaignLink,
    EmailTemplate,
    LeadForm,
    OutboxMessage,
    Segment,
    SegmentMember,
    Sequence,
    SequenceStep,
    TrackingEvent,
)
from .services import templates
from .services.sequences import sequence_save

CAMPAIGN = "Spring offer (demo)"
OFFER_URL = "https://example.com/offer"
AUDIENCE = 400
HOLDOUT_PERCENT = 5
PROXY_AGENT = "Mozilla/5.0 (via ggpht.com GoogleImageProxy)"
SCANNER_AGENT = "Barracuda Sentinel (EE)"
PERSON_AGENT = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 Version/17.0 Safari/605.1.15"


@transaction.atomic
def seed_demo(*, customers: int, stdout) -> None:
    _welcome_sequence(_newsletter_form())
    template = _template()
    segment = _opted_in_list()
    if Campaign.objects.filter(name=CAMPAIGN).exists():
        stdout.write("The demo campaign already exists; not adding marketing data.")
        return
    sent = _sent_campaign(template, segment, random.Random(14))  # noqa: S311 - demo data
    stdout.write(f"Created the newsletter form and a sent demo campaign to {sent} customers.")


def _newsletter_form() -> LeadForm:
    fields = [
        {"name": "email", "label": "Email", "target": "email", "required": True},
        {"name": "first_name", "label": "First name", "target": "first_name", "required": False},
    ]
    return LeadForm.objects.get_or_create(
        slug="newsletter",
        defaults={
            "name": "Newsletter",
            "fields": fields,
            "ask_consent": True,
            "thanks_text": "Thank you! Please check your inbox to confirm.",
            "is_published": True,
        },
    )[0]


WELCOME = "Welcome (demo)"


def _welcome_sequence(form: LeadForm) -> Sequence:
    """Created once (by name): a second seed_demo leaves it, and an edited copy, alone."""
    existing = Sequence.objects.filter(name=WELCOME).first()
    if existing is not None:
        return existing
    # Plain fields only: the drip engine's merge knows no filters yet (services.sequences._merge).
    # Through the service, so the HTML is sanitised and the text part made, as in the editor.
    template = EmailTemplate.objects.filter(name="Welcome").first() or templates.template_create(
        name="Welcome",
        subject="Welcome, {{ first_name }}",
        html=(
            "<p>Hi {{ first_name }},</p><p>Thank you for subscribing to our newsletter. "
            f'Our <a href="{OFFER_URL}">current offers</a> are a good place to start.</p>'
        ),
        actor=None,
    )
    tag = Tag.objects.get_or_create(name="newsletter")[0]
    steps: list[dict] = [
        {"kind": SequenceStep.Kind.SEND, "template": template},
        {"kind": SequenceStep.Kind.WAIT, "wait_days": 3},
        {"kind": SequenceStep.Kind.TAG, "tag": tag},
        {"kind": SequenceStep.Kind.WAIT, "wait_days": 7},
        {"kind": SequenceStep.Kind.TASK, "task_title": "Call the new newsletter subscriber"},
    ]
    return sequence_save(
        sequence=Sequence(),
        steps=steps,
        actor=None,
        name=WELCOME,
        trigger=Sequence.Trigger.SUBMITS_FORM,
        form=form,
        goal=Sequence.Goal.ORDER,
        is_active=True,
    )


def _template() -> EmailTemplate:
    return EmailTemplate.objects.get_or_create(
        name="Spring offer",
        defaults={
            "subject": '{{ first_name|default:"Hello" }}, 15 % off this spring',
            "html": (
                '<p>Hi {{ first_name|default:"there" }},</p><p>Our spring offer is on: '
                f'<a href="{OFFER_URL}">15 % off everything</a> until the end of the month.</p>'
                '<p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>'
            ),
        },
    )[0]


def _opted_in_list() -> Segment:
    marketer = User.objects.filter(groups__name=roles.MARKETER).order_by("username").first()
    segment, created = Segment.objects.get_or_create(
        name="Opted-in customers (demo list)", defaults={"kind": Segment.Kind.STATIC, "created_by": marketer}
    )
    if created:
        people = Customer.objects.filter(email_consent=Customer.Consent.OPTED_IN, deleted_at__isnull=True)
        ids = list(people.exclude(email="").order_by("pk").values_list("pk", flat=True)[:AUDIENCE])
        SegmentMember.objects.bulk_create([SegmentMember(segment=segment, customer_id=pk) for pk in ids])
        segment.member_count, segment.refreshed_at = len(ids), timezone.now()
        segment.save(update_fields=["member_count", "refreshed_at"])
    return segment


def _rfm_segments() -> dict[int, str]:
    from analytics.models import RfmRun, RfmScore

    run = RfmRun.objects.filter(finished_at__isnull=False).order_by("-started_at").first()
    if run is None:
        return {}
    return dict(RfmScore.objects.filter(run=run, segment__isnull=False).values_list("customer_id", "segment__name"))


def _sent_campaign(template: EmailTemplate, segment: Segment, rng: random.Random) -> int:
    now = timezone.now()
    sent_at = now - timedelta(days=5)
    campaign = Campaign.objects.create(
        name=CAMPAIGN,
        template=template,
        holdout_percent=HOLDOUT_PERCENT,
        status=Campaign.Status.SENT,
        scheduled_at=sent_at,
        started_at=sent_at,
        finished_at=sent_at + timedelta(minutes=3),
        created_by=segment.created_by,
        created_at=sent_at - timedelta(days=1),
    )
    campaign.include_segments.add(segment)
    CampaignLink.objects.create(campaign=campaign, url=OFFER_URL)
    rfm = _rfm_segments()
    people = Customer.objects.filter(segment_memberships__segment=segment).order_by("pk")
    rows: list[OutboxMessage] = []
    for customer_id, email in people.values_list("pk", "email"):
        roll = rng.random()
        status = OutboxMessage.Status.SENT
        if roll < HOLDOUT_PERCENT / 100:
            status = OutboxMessage.Status.HOLDOUT
        elif roll < HOLDOUT_PERCENT / 100 + 0.02:
            status = OutboxMessage.Status.BOUNCED
        delivered = status == OutboxMessage.Status.SENT
        rows.append(
            OutboxMessage(
                campaign=campaign,
                customer_id=customer_id,
                email=email,
                status=status,
                rfm_segment=rfm.get(customer_id, ""),
                message_id=f"<demo-{campaign.pk}-{customer_id}@crm.example.com>" if delivered else "",
                attempts=0 if status == OutboxMessage.Status.HOLDOUT else 1,
                error="550 5.1.1 No such user" if status == OutboxMessage.Status.BOUNCED else "",
                created_at=sent_at,
                sent_at=sent_at + timedelta(seconds=len(rows) % 180) if delivered else None,
            )
        )
    OutboxMessage.objects.bulk_create(rows, batch_size=1000)
    _events(campaign, rng)
    return sum(row.status == OutboxMessage.Status.SENT for row in rows)


def _events(campaign: Campaign, rng: random.Random) -> None:
    """About 40 % open (a quarter of them through a privacy proxy), 12 % click, a few scanner clicks."""
    events = []
    for message in campaign.outbox.filter(status=OutboxMessage.Status.SENT).order_by("pk"):
        roll = rng.random()
        sent_at = message.sent_at or campaign.finished_at or timezone.now()
        if roll < 0.10:
            events.append(_event(message, "open", "proxy", PROXY_AGENT, sent_at + timedelta(minutes=1)))
        if 0.10 <= roll < 0.40:
            opened = sent_at + timedelta(hours=rng.randint(1, 48))
            events.append(_event(message, "open", "human", PERSON_AGENT, opened))
            if roll < 0.22:
                events.append(_event(message, "click", "human", PERSON_AGENT, opened + timedelta(minutes=1), OFFER_URL))
        if 0.95 <= roll:
            events.append(_event(message, "click", "machine", SCANNER_AGENT, sent_at + timedelta(seconds=3), OFFER_URL))
    TrackingEvent.objects.bulk_create(events, batch_size=1000)


def _event(message, kind, source, agent, at, url="") -> TrackingEvent:
    return TrackingEvent(message=message, kind=kind, source=source, user_agent=agent, url=url, created_at=at)
