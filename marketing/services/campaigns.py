"""Campaigns: create, schedule, start (the outbox in one INSERT … SELECT), pause,
resume, and the test copy. Sending itself is in `services.sending`."""

from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from analytics.models import RfmScore, RfmSegment
from analytics.selectors.rfm import rfm_latest_kept_run_id
from customers.models import Customer
from jobs.services import job_enqueue

from ..models import Campaign, CampaignLink, OutboxMessage, Segment, SegmentMember
from . import segments, sending, templates

# Holdout pick: (customer id · A + campaign id · B) mod P mod 100 < percent. Deterministic
# (the same campaign holds out the same people on a retry), spread over ids, and the
# same arithmetic in SQLite and PostgreSQL.
_HOLD_A, _HOLD_B, _HOLD_P = 2654435761, 40503, 1000003


def holdout_bucket(*, campaign_id: int, customer_id: int) -> int:
    """0–99: the recipient is held out when this is below the campaign's holdout percent."""
    return (customer_id * _HOLD_A + campaign_id * _HOLD_B) % _HOLD_P % 100


@transaction.atomic
def campaign_save(*, campaign: Campaign, include, exclude, actor) -> Campaign:
    """Create or edit a draft (or scheduled) campaign with its segments."""
    if campaign.status not in (Campaign.Status.DRAFT, Campaign.Status.SCHEDULED):
        raise ValidationError(_("Only a draft or scheduled campaign can be edited."))
    if campaign.pk is None:
        campaign.created_by = actor
    campaign.save()
    campaign.include_segments.set(include)
    campaign.exclude_segments.set(exclude)
    return campaign


@transaction.atomic
def campaign_schedule(*, campaign: Campaign, when: datetime, actor) -> Campaign:
    if when <= timezone.now():
        raise ValidationError(_("Choose a time in the future."))
    updated = Campaign.objects.filter(
        pk=campaign.pk, status__in=[Campaign.Status.DRAFT, Campaign.Status.SCHEDULED]
    ).update(status=Campaign.Status.SCHEDULED, scheduled_at=when)
    if not updated:
        raise ValidationError(_("Only a draft campaign can be scheduled."))
    campaign.refresh_from_db()
    return campaign


@transaction.atomic
def campaign_unschedule(*, campaign: Campaign, actor) -> Campaign:
    Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.SCHEDULED).update(
        status=Campaign.Status.DRAFT, scheduled_at=None
    )
    campaign.refresh_from_db()
    return campaign


@transaction.atomic
def campaign_start(*, campaign: Campaign, actor, from_status=(Campaign.Status.DRAFT, Campaign.Status.SCHEDULED)) -> int:
    """Claim the campaign (a conditional UPDATE: two beats or two clicks cannot both
    start it), bring its dynamic segments up to date, write its outbox in one
    statement, and enqueue the sending job after commit. Returns the number of
    recipients to send to (holdout excluded). A segment whose rules no longer
    validate raises ValidationError and nothing is started."""
    now = timezone.now()
    claimed = Campaign.objects.filter(pk=campaign.pk, status__in=from_status).update(
        status=Campaign.Status.SENDING, started_at=now, error=""
    )
    if not claimed:
        raise ValidationError(_("This campaign has already been started."))
    campaign.refresh_from_db()
    campaign_refresh_segments(campaign=campaign)
    _write_links(campaign)
    outbox_insert(campaign=campaign, now=now)
    job_enqueue(task="marketing.campaign_send", actor=actor, kwargs={"campaign_id": campaign.pk})
    return OutboxMessage.objects.filter(campaign=campaign, status=OutboxMessage.Status.PENDING).count()


def campaign_refresh_segments(*, campaign: Campaign) -> int:
    """Refresh the dynamic include and exclude segments (set-based, a few statements
    each) so the outbox reads who matches now, not who matched at the last beat
    refresh. Static lists are left as they are. Returns how many were refreshed."""
    wanted = Segment.objects.filter(kind=Segment.Kind.DYNAMIC).filter(
        Q(pk__in=campaign.include_segments.values("pk")) | Q(pk__in=campaign.exclude_segments.values("pk"))
    )
    chosen = list(wanted.order_by("pk"))  # one lock order: two campaigns never wait on each other's segments
    for segment in chosen:
        try:
            segments.segment_refresh(segment=segment)
        except ValidationError as error:  # a rule whose field is gone: say which segment
            message = _("The segment “%(name)s” could not be refreshed: %(error)s")
            raise ValidationError(message % {"name": segment.name, "error": " ".join(error.messages)}) from error
    return len(chosen)


def _write_links(campaign: Campaign) -> None:
    urls = templates.template_links(campaign.template.html)
    CampaignLink.objects.bulk_create([CampaignLink(campaign=campaign, url=url) for url in urls], ignore_conflicts=True)


def outbox_insert(*, campaign: Campaign, now: datetime) -> int:
    """One INSERT … SELECT: members of the included segments minus the excluded,
    alive, with an email, opted in (never "not asked"), one row per address (the
    lowest customer id wins), with the RFM segment of the latest kept run; the
    holdout's rows are written as `holdout` and never sent."""
    include = list(campaign.include_segments.values_list("pk", flat=True))
    exclude = list(campaign.exclude_segments.values_list("pk", flat=True))
    if not include:
        return 0
    customer, member = Customer._meta.db_table, SegmentMember._meta.db_table
    score, segment = RfmScore._meta.db_table, RfmSegment._meta.db_table
    outbox = OutboxMessage._meta.db_table
    include_sql = ", ".join(["%s"] * len(include))
    exclude_sql = ""
    if exclude:
        placeholders = ", ".join(["%s"] * len(exclude))
        exclude_sql = (
            f"AND NOT EXISTS (SELECT 1 FROM {member} x WHERE x.customer_id = a.id AND x.segment_id IN ({placeholders}))"  # noqa: S608, E501 - placeholders only
        )
    sql = f"""
        INSERT INTO {outbox} (campaign_id, customer_id, email, status, rfm_segment, message_id,
                              claimed_until, attempts, error, created_at, sent_at)
        SELECT %s, c.id, c.email,
               CASE WHEN (c.id * {_HOLD_A} + %s * {_HOLD_B}) %% {_HOLD_P} %% 100 < %s
                    THEN 'holdout' ELSE 'pending' END,
               COALESCE(g.name, ''), '', NULL, 0, '', %s, NULL
        FROM (
            SELECT MIN(a.id) AS id FROM {customer} a
            WHERE a.deleted_at IS NULL AND a.email <> '' AND a.email_consent = %s
              AND EXISTS (SELECT 1 FROM {member} m WHERE m.customer_id = a.id AND m.segment_id IN ({include_sql}))
              {exclude_sql}
            GROUP BY LOWER(a.email)
        ) f
        JOIN {customer} c ON c.id = f.id
        LEFT JOIN {score} s ON s.run_id = %s AND s.customer_id = c.id
        LEFT JOIN {segment} g ON g.id = s.segment_id
        ON CONFLICT DO NOTHING
    """  # noqa: S608 - table names from models, values as parameters
    params: list = [campaign.pk, campaign.pk, campaign.holdout_percent, now, Customer.Consent.OPTED_IN]
    params += [*include, *exclude, rfm_latest_kept_run_id() or 0]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


@transaction.atomic
def campaign_pause(*, campaign: Campaign, actor) -> Campaign:
    """Batches not yet sent stop at their next claim; their rows stay pending."""
    Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.SENDING).update(status=Campaign.Status.PAUSED)
    campaign.refresh_from_db()
    return campaign


@transaction.atomic
def campaign_resume(*, campaign: Campaign, actor) -> Campaign:
    resumed = Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.PAUSED).update(
        status=Campaign.Status.SENDING, error=""
    )
    if resumed:
        job_enqueue(task="marketing.campaign_send", actor=actor, kwargs={"campaign_id": campaign.pk})
    campaign.refresh_from_db()
    return campaign


def campaign_dispatch_due(*, now: datetime | None = None) -> int:
    """Start the scheduled campaigns whose time has come (beat, every minute)."""
    now = now or timezone.now()
    started = 0
    due = Campaign.objects.filter(status=Campaign.Status.SCHEDULED, scheduled_at__lte=now)
    for campaign in due.order_by("scheduled_at"):
        try:
            campaign_start(campaign=campaign, actor=None, from_status=(Campaign.Status.SCHEDULED,))
        except ValidationError as error:
            # Another beat started it first (no longer scheduled: nothing to note), or a
            # segment's rules no longer validate: the campaign stays scheduled, with the reason shown.
            Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.SCHEDULED).update(
                error=" ".join(error.messages)
            )
            continue
        started += 1
    return started


def campaign_send_test(*, campaign: Campaign, actor) -> None:
    """One [TEST] copy to the actor, filled with their own name; no outbox row."""
    if not actor.email:
        raise ValidationError(_("Your account has no email address."))
    context = {
        "first_name": actor.first_name,
        "last_name": actor.last_name,
        "full_name": actor.get_full_name(),
        "email": actor.email,
        "company": "",
        "unsubscribe_url": f"{settings.CRM_SITE_URL}/marketing/",
    }
    prepared = templates.prepare(template=campaign.template, links={}, tracking=False)
    subject, html, text = prepared.render(context)
    sending.send_one(to=actor.email, subject=f"[TEST] {subject}", html=html, text=text, headers={})
