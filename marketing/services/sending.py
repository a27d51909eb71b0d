"""Sending a campaign's outbox exactly once (pretix's OutgoingMail pattern).

- `campaign_enqueue_batches` (the one logged job per campaign run) cuts the
  pending rows into batches of MARKETING_BATCH_SIZE ids and sends one plain
  Celery task per batch, each minute's quota a minute later than the last.
- `outbox_send_batch` claims its rows with one conditional UPDATE (pending, or
  claimed past the lease → claimed), so two tasks with the same ids never both
  send; it stores the Message-ID in that UPDATE, renders and sends over one SMTP
  connection, and marks each row sent the moment the server accepted it.
- `outbox_requeue_stale` (beat) sends again the rows a killed worker left behind.
The one window left: the server said 250 and the worker died before its UPDATE;
that message is sent again with the same Message-ID.

Drip mail (services/sequences.py) goes the same way over its own rows: it shares
`claim_rows`, `may_send`, `open_connection`/`send_message`, `marketing_message`
(the headers) and `retry_at` (the 4xx backoff).
"""

import contextlib
import functools
import logging
import smtplib
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.db import connection as db
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from crm_project.events import event_emit
from customers.models import Customer
from jobs.services import registered_task

from .. import mime, tokens
from ..models import Campaign, CampaignLink, OutboxMessage
from . import templates

logger = logging.getLogger(__name__)

Status = OutboxMessage.Status
OPEN = (Status.PENDING, Status.CLAIMED)


class Outage(Exception):
    """The mail server cannot be reached: pause, do not burn the recipients."""


# ------------------------------------------------------------------ connection


def mail_connection():
    """Django's email backend for campaign mail: MARKETING_EMAIL_URL's server, or the default one."""
    if not settings.MARKETING_EMAIL_URL:
        return get_connection()
    import environ  # django-environ parses the URL the same way EMAIL_URL is parsed

    config = environ.Env.email_url_config(settings.MARKETING_EMAIL_URL)
    return get_connection(
        backend=config["EMAIL_BACKEND"],
        host=config.get("EMAIL_HOST"),
        port=config.get("EMAIL_PORT"),
        username=config.get("EMAIL_HOST_USER") or None,
        password=config.get("EMAIL_HOST_PASSWORD") or None,
        use_tls=config.get("EMAIL_USE_TLS", False),
        use_ssl=config.get("EMAIL_USE_SSL", False),
        timeout=30,
    )


def send_one(*, to: str, subject: str, html: str, text: str, headers: dict) -> None:
    message = EmailMultiAlternatives(
        subject, text, settings.MARKETING_FROM_EMAIL, [to], headers=headers, connection=mail_connection()
    )
    message.attach_alternative(html, "text/html")
    message.send()


# ------------------------------------------------------------------ enqueue


def campaign_enqueue_batches(*, campaign_id: int) -> dict:
    """Send one task per batch of pending ids, throttled by minute slots; returns counts for the job log."""
    campaign = Campaign.objects.filter(pk=campaign_id, status=Campaign.Status.SENDING).first()
    if campaign is None:
        return {"batches": 0, "recipients": 0}
    ids = list(
        OutboxMessage.objects.filter(campaign_id=campaign_id, status=Status.PENDING)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    per_minute = max(1, campaign.throttle_per_minute)
    size = min(settings.MARKETING_BATCH_SIZE, per_minute)
    task = registered_task("marketing.outbox_send_batch")
    now, lease = timezone.now(), timedelta(seconds=settings.MARKETING_SEND_LEASE_S)
    batches = 0
    for slot, start in enumerate(range(0, len(ids), per_minute)):
        minute = ids[start : start + per_minute]
        # A pending row is not stale before its slot's time plus the lease. The slot is a
        # range of this campaign's sorted pending ids: a range, not 100k ids in an IN list.
        OutboxMessage.objects.filter(
            campaign_id=campaign_id, status=Status.PENDING, pk__gte=minute[0], pk__lte=minute[-1]
        ).update(claimed_until=now + timedelta(minutes=slot) + lease)
        for first in range(0, len(minute), size):
            task.apply_async(kwargs={"ids": minute[first : first + size]}, countdown=slot * 60)
            batches += 1
    campaign_finish_if_done(campaign_id=campaign_id)
    return {"batches": batches, "recipients": len(ids)}


def outbox_requeue_stale() -> dict:
    """Rows of sending campaigns left pending or claimed past their lease (a worker
    died, or the filesystem broker lost its task) go back to pending and into new batches."""
    now = timezone.now()
    lease = timedelta(seconds=settings.MARKETING_SEND_LEASE_S)
    stale = OutboxMessage.objects.filter(campaign__status=Campaign.Status.SENDING, status__in=OPEN).filter(
        Q(claimed_until__lt=now) | Q(claimed_until__isnull=True)
    )
    ids = list(stale.order_by("pk").values_list("pk", flat=True)[:100_000])
    OutboxMessage.objects.filter(pk__in=ids, status__in=OPEN).update(status=Status.PENDING, claimed_until=now + lease)
    task = registered_task("marketing.outbox_send_batch")
    size = settings.MARKETING_BATCH_SIZE
    for first in range(0, len(ids), size):
        task.apply_async(kwargs={"ids": ids[first : first + size]})
    for campaign_id in Campaign.objects.filter(status=Campaign.Status.SENDING).values_list("pk", flat=True):
        campaign_finish_if_done(campaign_id=campaign_id)
    return {"requeued": len(ids)}


@transaction.atomic(savepoint=False)  # the UPDATE and its event commit together; no SAVEPOINT per batch
def campaign_finish_if_done(*, campaign_id: int) -> bool:
    """Sent once no row is left pending or claimed (one conditional UPDATE); the
    UPDATE that makes it sent is the one that tells campaign.sent, so it goes out once."""
    open_rows = OutboxMessage.objects.filter(campaign=OuterRef("pk"), status__in=OPEN)
    finished = bool(
        Campaign.objects.filter(pk=campaign_id, status=Campaign.Status.SENDING)
        .exclude(Exists(open_rows))
        .update(status=Campaign.Status.SENT, finished_at=timezone.now())
    )
    if finished:
        event_emit("campaign.sent", instance=Campaign.objects.get(pk=campaign_id))
    return finished


# ------------------------------------------------------------------ one batch


def outbox_claim(*, ids: list[int]) -> list[int]:
    """Claim the rows still pending (or claimed past their lease) for this
    process; store each row's Message-ID (kept on resend). The ids it returns
    are this caller's alone."""
    return claim_rows(model=OutboxMessage, ids=ids, message_id_sql="'<mkt-' || id || '-' || campaign_id")


def claim_rows(*, model, ids: list[int], message_id_sql: str) -> list[int]:
    """One conditional UPDATE … RETURNING over an outbox-shaped table (status,
    claimed_until, attempts, message_id): pending rows, or claimed ones past their
    lease, become claimed by this caller with a fresh lease; a row without a
    Message-ID gets `message_id_sql` || "@MARKETING_EMAIL_DOMAIN>" (code, never input).
    Campaign rows and drip-step rows are claimed by it alike."""
    if not ids:
        return []
    now = timezone.now()
    table = model._meta.db_table
    sql = f"""
        UPDATE {table}
        SET status = %s, claimed_until = %s, attempts = attempts + 1,
            message_id = CASE WHEN message_id = '' THEN {message_id_sql} || %s ELSE message_id END
        WHERE id IN ({", ".join(["%s"] * len(ids))})
          AND (status = %s OR (status = %s AND claimed_until < %s))
        RETURNING id
    """  # noqa: S608 - the table name and the id expression come from code; values are parameters
    params: list = [Status.CLAIMED, now + timedelta(seconds=settings.MARKETING_SEND_LEASE_S)]
    params += [f"@{settings.MARKETING_EMAIL_DOMAIN}>", *ids, Status.PENDING, Status.CLAIMED, now]
    with transaction.atomic(), db.cursor() as cursor:
        cursor.execute(sql, params)
        return sorted(row[0] for row in cursor.fetchall())


def outbox_send_batch(*, ids: list[int]) -> dict:
    with _async_commit():  # the claim's commit too: each synchronous commit waits for a WAL flush
        return _send_batch(ids)


def _send_batch(ids: list[int]) -> dict:
    claimed = outbox_claim(ids=ids)
    if not claimed:
        return {"claimed": 0}
    rows = list(
        OutboxMessage.objects.filter(pk__in=claimed)
        .select_related("customer__company", "campaign__template")
        .order_by("pk")
    )
    campaign = rows[0].campaign
    if campaign.status != Campaign.Status.SENDING:
        _release(claimed)  # paused meanwhile: the rows wait for resume
        return {"claimed": 0}
    rows = _skip_opted_out(rows)
    counts = {"sent": 0, "retried": 0, "bounced": 0}
    try:
        _send_rows(campaign, rows, counts)
    except Outage as error:
        _pause_for_outage(campaign_id=campaign.pk, error=str(error))
    campaign_finish_if_done(campaign_id=campaign.pk)
    return counts


@contextlib.contextmanager
def _async_commit():
    """PostgreSQL: the claim and the per-message "sent" UPDATEs commit without waiting for the
    WAL flush (an fsync each: ~8 ms on a busy machine, the batch's largest cost).
    A worker crash loses nothing by it; only a database crash could lose the last
    fraction of a second of marks, and those rows are resent with the same Message-ID."""
    if db.vendor != "postgresql" or db.in_atomic_block:
        yield
        return
    with db.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        with db.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")


def _skip_opted_out(rows: list[OutboxMessage]) -> list[OutboxMessage]:
    """Whoever opted out (or was deleted) since the campaign started is skipped, not sent."""
    gone = [row.pk for row in rows if not may_send(row.customer)]
    if gone:
        OutboxMessage.objects.filter(pk__in=gone).update(status=Status.SKIPPED, claimed_until=None)
    return [row for row in rows if row.pk not in set(gone)]


def may_send(customer: Customer) -> bool:
    """Marketing mail (campaigns and drips) goes only to live, opted-in customers, judged at send time."""
    return customer.email_consent == Customer.Consent.OPTED_IN and customer.deleted_at is None and bool(customer.email)


def _send_rows(campaign: Campaign, rows: list[OutboxMessage], counts: dict) -> None:
    links = dict(CampaignLink.objects.filter(campaign=campaign).values_list("url", "pk"))
    prepared = templates.prepare(template=campaign.template, links=links)
    connection = mail_connection()
    try:
        connection.open()
    except (OSError, smtplib.SMTPException) as error:
        _release([row.pk for row in rows])
        raise Outage(f"{type(error).__name__}: {error}") from error
    # Django's SMTP backend: its open connection takes the prebuilt bytes directly
    # (send_messages would sanitise both addresses again, ~80 µs a message); any
    # other backend (locmem in tests, console) gets the message object as usual.
    smtp = connection.connection if isinstance(connection, SmtpBackend) else None
    sender = mime.address(settings.MARKETING_FROM_EMAIL)
    retry: list[OutboxMessage] = []
    try:
        with db.cursor() as cursor:
            for index, row in enumerate(rows):
                message = _message(row, prepared, connection)
                try:
                    if smtp is not None:
                        smtp.sendmail(sender, [mime.address(row.email)], message.raw())
                    elif not connection.send_messages([message]):
                        _release([later.pk for later in rows[index:]])
                        raise Outage("the mail server accepted nothing")
                except smtplib.SMTPRecipientsRefused as error:
                    code, text = next(iter(error.recipients.values()))
                    _refused(row, code, text, retry, counts)
                    continue
                except smtplib.SMTPResponseException as error:
                    _refused(row, error.smtp_code, error.smtp_error, retry, counts)
                    continue
                except (OSError, smtplib.SMTPException) as error:
                    _release([later.pk for later in rows[index:]])
                    raise Outage(f"{type(error).__name__}: {error}") from error
                # Its own tiny UPDATE, committed at once (autocommit): a crash later cannot
                # unsend it, so at most the one message in flight is sent again after a crash.
                cursor.execute(_MARK_SENT, [Status.SENT, db.ops.adapt_datetimefield_value(timezone.now()), row.pk])
                counts["sent"] += 1
    finally:
        _retry_later(retry)
        try:
            connection.close()
        except (OSError, smtplib.SMTPException):
            logger.info("Closing the SMTP connection failed; the batch is done anyway.")


# One statement per accepted message: plain SQL, not the ORM's UPDATE (~100 µs to compile each).
_MARK_SENT = (
    f"UPDATE {OutboxMessage._meta.db_table} SET status = %s, sent_at = %s, claimed_until = NULL, error = ''"  # noqa: S608
    " WHERE id = %s"
)


def _message(row: OutboxMessage, prepared: templates.PreparedTemplate, connection) -> mime.CampaignEmail:
    unsubscribe = tokens.unsubscribe_url(row.pk)
    context = templates.customer_context(customer=row.customer, unsubscribe_url=unsubscribe)
    context["email"] = row.email
    context["open_pixel_url"] = tokens.open_pixel_url(row.pk)
    for index, link_id in enumerate(prepared.link_ids):
        context[f"link_{index}"] = tokens.click_url(row.pk, link_id)
    return marketing_message(
        to=row.email,
        rendered=prepared.render(context),
        message_id=row.message_id,
        unsubscribe_url=unsubscribe,
        connection=connection,
    )


def marketing_message(
    *, to: str, rendered: tuple[str, str, str], message_id: str, unsubscribe_url: str, connection
) -> mime.CampaignEmail:
    """A marketing mail (campaign or drip): subject, text and HTML as rendered, a stable
    Message-ID, and the RFC 8058 one-click unsubscribe headers."""
    subject, html, text = rendered
    headers = {
        "Message-ID": message_id,
        "List-Unsubscribe": f"<{unsubscribe_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    message = mime.CampaignEmail(
        subject, text, settings.MARKETING_FROM_EMAIL, [to], headers=headers, connection=connection
    )
    message.attach_alternative(html, "text/html")
    return message


def open_connection():
    """An open connection to the marketing mail server, or Outage."""
    connection = mail_connection()
    try:
        connection.open()
    except (OSError, smtplib.SMTPException) as error:
        raise Outage(f"{type(error).__name__}: {error}") from error
    return connection


def close_connection(connection) -> None:
    try:
        connection.close()
    except (OSError, smtplib.SMTPException):
        logger.info("Closing the SMTP connection failed; the batch is done anyway.")


def send_message(connection, message: EmailMultiAlternatives) -> tuple[int, str] | None:
    """Send one message over an open connection (the drips' path; campaigns inline the
    same rules over prebuilt bytes): None once the server accepted it, (code, text) when
    it refused the recipient or the message (4xx: try later, 5xx: bounced); Outage when
    the server is gone or accepted nothing."""
    try:
        accepted = connection.send_messages([message])
    except smtplib.SMTPRecipientsRefused as error:
        code, text = next(iter(error.recipients.values()))
        return code, _text(text)
    except smtplib.SMTPResponseException as error:
        return error.smtp_code, _text(error.smtp_error)
    except (OSError, smtplib.SMTPException) as error:
        raise Outage(f"{type(error).__name__}: {error}") from error
    if not accepted:
        raise Outage("the mail server accepted nothing")
    return None


def _text(text) -> str:
    return text.decode(errors="replace") if isinstance(text, bytes) else str(text)


def retry_at(*, attempts: int, now: datetime) -> datetime | None:
    """When a recipient refused with 4xx is tried again (the wait doubles per attempt),
    or None once MARKETING_MAX_ATTEMPTS are spent (the row is failed)."""
    if attempts >= settings.MARKETING_MAX_ATTEMPTS:
        return None
    wait = settings.MARKETING_RETRY_BACKOFF_S * 2 ** (attempts - 1)
    return now + timedelta(seconds=wait)


def _refused(row: OutboxMessage, code: int, text, retry: list, counts: dict) -> None:
    """4xx: try again later (the row stays this campaign's); 5xx: bounced for good."""
    error = f"{code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"[:500]
    row.error = error
    if 400 <= code < 500:
        retry.append(row)
        counts["retried"] += 1
        return
    OutboxMessage.objects.filter(pk=row.pk).update(status=Status.BOUNCED, error=error, claimed_until=None)
    counts["bounced"] += 1


def _retry_later(rows: list[OutboxMessage]) -> None:
    """Back to pending with a backoff that doubles per attempt; failed after MARKETING_MAX_ATTEMPTS."""
    now = timezone.now()
    again = []
    for row in rows:
        at = retry_at(attempts=row.attempts, now=now)
        if at is None:
            OutboxMessage.objects.filter(pk=row.pk).update(status=Status.FAILED, error=row.error, claimed_until=None)
            continue
        until = at + timedelta(seconds=settings.MARKETING_SEND_LEASE_S)
        OutboxMessage.objects.filter(pk=row.pk).update(status=Status.PENDING, error=row.error, claimed_until=until)
        again.append((row.pk, (at - now).total_seconds()))
    if not again:
        return
    task = registered_task("marketing.outbox_send_batch")
    for pk, wait in again:
        transaction.on_commit(functools.partial(task.apply_async, kwargs={"ids": [pk]}, countdown=wait))


def _release(ids: list[int]) -> None:
    OutboxMessage.objects.filter(pk__in=ids, status=Status.CLAIMED).update(status=Status.PENDING, claimed_until=None)


def _pause_for_outage(*, campaign_id: int, error: str) -> None:
    logger.warning("Campaign %s paused: the mail server failed: %s", campaign_id, error)
    Campaign.objects.filter(pk=campaign_id, status=Campaign.Status.SENDING).update(
        status=Campaign.Status.PAUSED, error=error[:2000]
    )
