"""Sending a campaign's outbox exactly once (pretix's OutgoingMail pattern).

- `campaign_enqueue_batches` (the one logged job per campaign run) cuts the
  pending rows into batches of MARKETING_BATCH_SIZE ids and sends one plain
  Celery task per batch, each minute's quota a minute later than the last.
- `outbox_send_batch` claims its rows with one conditional UPDATE (pending, or
  claimed past the lease → claimed), so two tasks with the same ids never both
  send; it stores the Message-ID in that UPDATE, renders the whole batch, then
  sends it over MARKETING_SMTP_LANES SMTP connections at once (PostgreSQL; one
  elsewhere), each lane marking its rows sent over a database connection of its
  own (asynchronous psycopg2, a prepared UPDATE) the moment the server accepted it.
  To a server that offers PIPELINING a lane writes each body together with the
  next recipient's MAIL, RCPT and DATA: one round trip a message.
- `outbox_requeue_stale` (beat) sends again the rows a killed worker left behind.
The one window left: a body has left and the worker died before that message's
"sent" UPDATE left for the database; that message is sent again with the same
Message-ID. A lane sends a body only once the mark of the one before has left, so at
most one message per lane is in that window: one per worker process with the default
single lane. (With PIPELINING most of a lane's time is spent waiting on a body's reply,
so a kill usually finds one message there; bench_campaign --kill-after counts them.)

Drip mail (services/sequences.py) goes the same way over its own rows: it shares
`claim_rows`, `may_send`, `open_connection`/`send_message`, `marketing_message`
(the headers) and `retry_at` (the 4xx backoff).
"""

import contextlib
import functools
import logging
import os
import queue as queue_module
import re
import select
import smtplib
import threading
from dataclasses import dataclass
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
    campaign = Campaign.objects.select_related("template").get(outbox__pk=claimed[0])
    if campaign.status != Campaign.Status.SENDING:
        _release(claimed)  # paused meanwhile: the rows wait for resume
        return {"claimed": 0}
    rows = _skip_opted_out(_recipients(claimed))
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


@dataclass
class Recipient:
    """One claimed outbox row with what its message needs, read as values: model
    instances of the row, its customer and company cost more than rendering it."""

    pk: int
    email: str
    message_id: str
    attempts: int
    sendable: bool
    context: dict[str, object]
    error: str = ""


def _recipients(ids: list[int]) -> list[Recipient]:
    values = (
        OutboxMessage.objects.filter(pk__in=ids)
        .order_by("pk")
        .values_list(
            "pk", "email", "message_id", "attempts", "customer__email_consent", "customer__deleted_at",
            "customer__email", "customer__first_name", "customer__last_name", "customer__custom_data",
            "customer__company__name",
        )
    )  # fmt: skip
    recipients = []
    for pk, email, message_id, attempts, consent, deleted_at, address, first, last, custom, company in values:
        context = templates.merge_context(
            first_name=first, last_name=last, email=address, company=company or "", custom_data=custom,
            unsubscribe_url="",
        )  # fmt: skip
        sendable = _may_send(consent=consent, deleted_at=deleted_at, email=address)
        recipients.append(Recipient(pk, email, message_id, attempts, sendable, context))
    return recipients


def _skip_opted_out(rows: list[Recipient]) -> list[Recipient]:
    """Whoever opted out (or was deleted) since the campaign started is skipped, not sent."""
    gone = [row.pk for row in rows if not row.sendable]
    if gone:
        OutboxMessage.objects.filter(pk__in=gone).update(status=Status.SKIPPED, claimed_until=None)
    return [row for row in rows if row.sendable]


def may_send(customer: Customer) -> bool:
    """Marketing mail (campaigns and drips) goes only to live, opted-in customers, judged at send time."""
    return _may_send(consent=customer.email_consent, deleted_at=customer.deleted_at, email=customer.email)


def _may_send(*, consent: str, deleted_at, email: str) -> bool:
    return consent == Customer.Consent.OPTED_IN and deleted_at is None and bool(email)


# ------------------------------------------------------------------ lanes


class _Queue:
    """A batch's recipients, handed out one at a time to its lanes (threads); a lane
    that hits an outage stops them all, and whatever was not sent is released."""

    def __init__(self, rows: list[tuple[Recipient, mime.CampaignEmail, bytes]]):
        self._rows = iter(rows)
        self._lock = threading.Lock()
        self.unsent: list[int] = []  # handed out but not sent when an outage stopped the batch
        self.refused: list[tuple[Recipient, int, object]] = []
        self.sent = 0
        self.outage: Outage | None = None
        self.error: BaseException | None = None  # anything else: re-raised by the batch

    def take(self) -> tuple[Recipient, mime.CampaignEmail, bytes] | None:
        with self._lock:
            if self.outage is not None or self.error is not None:
                return None
            return next(self._rows, None)

    def stop(self, *, outage: Outage | None = None, error: BaseException | None = None, row=None) -> None:
        with self._lock:
            if row is not None:
                self.unsent.append(row.pk)
            if outage is not None and self.outage is None:
                self.outage = outage
            if error is not None and self.error is None:
                self.error = error

    def rest(self) -> list[int]:
        """Ids never handed out (after every lane stopped)."""
        return [row.pk for row, _message, _raw in self._rows]

    def count_sent(self) -> None:
        with self._lock:
            self.sent += 1

    def count_refused(self, row: Recipient, code: int, text) -> None:
        with self._lock:
            self.refused.append((row, code, text))


def _own_marks(*, smtp: bool) -> bool:
    """Whether the lanes mark their rows over this process's own mark connections
    (`_AsyncMarks`): on PostgreSQL through psycopg2 outside a transaction (such a connection
    must see the claimed rows; SQLite allows one writer) with Django's SMTP backend.
    Otherwise the one lane marks over Django's connection."""
    return db.vendor == "postgresql" and _driver().__name__ == "psycopg2" and not db.in_atomic_block and smtp


def _driver():
    """The PostgreSQL backend's DB-API module (psycopg2 here; Django takes psycopg 3 where it is installed)."""
    return getattr(db, "Database", None)


def _lane_count(rows: int, *, own_marks: bool) -> int:
    """Several SMTP connections at once, each with its own database connection for its
    "sent" marks, so the batch does not sit idle waiting on one server's replies."""
    if not own_marks:
        return 1
    return max(1, min(settings.MARKETING_SMTP_LANES, rows))


def _send_rows(campaign: Campaign, rows: list[Recipient], counts: dict) -> None:
    if not rows:
        return
    links = dict(CampaignLink.objects.filter(campaign=campaign).values_list("url", "pk"))
    prepared = templates.prepare(template=campaign.template, links=links)
    smtp = isinstance(mail_connection(), SmtpBackend)
    own_marks = _own_marks(smtp=smtp)
    lanes = _lane_count(len(rows), own_marks=own_marks)
    # Rendered here, before any lane starts: a lane then holds the GIL only for moments, so
    # the one whose server just said 250 gets to send its "sent" mark at once (the time
    # between the two is the only window in which a crash sends a message twice).
    queue = _Queue([(row, message, message.raw() if smtp else b"") for row, message in _messages(rows, prepared)])
    if not own_marks:
        with db.cursor() as cursor:
            _lane(queue, _Marks(cursor))
    elif lanes == 1:
        _pooled_lane(queue)
    else:
        threads = [threading.Thread(target=_pooled_lane, args=(queue,)) for _ in range(lanes)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    counts["sent"] += queue.sent
    retry: list[Recipient] = []
    for row, code, text in queue.refused:
        _refused(row, code, text, retry, counts)
    _retry_later(retry)
    if queue.error is not None:
        _release(queue.unsent + queue.rest())
        raise queue.error
    if queue.outage is not None:
        _release(queue.unsent + queue.rest())
        raise queue.outage


def _pooled_lane(queue: _Queue) -> None:
    try:
        with _mark_connection() as marks:
            _lane(queue, marks)
    except BaseException as error:  # noqa: BLE001 - handed to the batch's thread, which re-raises it
        queue.stop(error=error)


def _lane(queue: _Queue, marks: "_Marks") -> None:
    """Send recipients from the queue over one SMTP connection until it is empty."""
    connection = mail_connection()
    try:
        connection.open()
    except (OSError, smtplib.SMTPException) as error:
        queue.stop(outage=Outage(f"{type(error).__name__}: {error}"))
        return
    # Django's SMTP backend: its open connection takes the prebuilt bytes directly
    # (send_messages would sanitise both addresses again, ~80 µs a message); any
    # other backend (locmem in tests, console) gets the message object as usual.
    smtp = connection.connection if isinstance(connection, SmtpBackend) else None
    sender = _envelope(mime.address(settings.MARKETING_FROM_EMAIL))
    try:
        if smtp is not None and _offers_pipelining(smtp):
            _pipelined_lane(queue, smtp, sender, marks)
            return
        while (item := queue.take()) is not None:
            row, message, raw = item
            try:
                if smtp is not None:
                    _smtp_send(smtp, sender, row.email, raw)
                elif not connection.send_messages([message]):
                    queue.stop(outage=Outage("the mail server accepted nothing"), row=row)
                    return
            except smtplib.SMTPRecipientsRefused as error:
                code, text = next(iter(error.recipients.values()))
                queue.count_refused(row, code, text)
                continue
            except smtplib.SMTPResponseException as error:
                queue.count_refused(row, error.smtp_code, error.smtp_error)
                continue
            except (OSError, smtplib.SMTPException) as error:
                queue.stop(outage=Outage(f"{type(error).__name__}: {error}"), row=row)
                return
            # Straight after the 250, its own tiny UPDATE, committed at once (autocommit): a
            # crash later cannot unsend it, so at most the message each lane has in flight
            # is sent again after a crash. Once its bytes are on the way, the database
            # commits it even if this process dies before the reply.
            marks.mark(row.pk)
            queue.count_sent()
    finally:
        close_connection(connection)


def _offers_pipelining(smtp: smtplib.SMTP) -> bool:
    try:
        smtp.ehlo_or_helo_if_needed()
    except (OSError, smtplib.SMTPException):
        return False  # the first message meets the same error and stops the lane
    return smtp.does_esmtp and smtp.has_extn("pipelining")


def _pipelined_lane(queue: _Queue, smtp: smtplib.SMTP, sender: str, marks: "_Marks") -> None:
    """To a server that offers PIPELINING (RFC 2920; every real one does), one round trip a
    message: each body goes out in one write with the next recipient's MAIL, RCPT and DATA
    (message content may open a group), whose replies come back with the body's. A body's
    reply is read and its mark sent before the next body leaves, so a crash still finds at
    most one message between the server's 250 and its mark."""
    item, envelope_sent = queue.take(), False
    while item is not None:
        row, _message, raw = item
        following = None
        try:
            if not envelope_sent:
                smtp.send(_envelope_commands(smtp, sender, row.email, raw))
            _envelope_replies(smtp, sender, row.email)
            following = queue.take()
            after = b"" if following is None else _envelope_commands(smtp, sender, following[0].email, following[2])
            smtp.send(_dot_stuffed(raw) + after)
            code, reply = smtp.getreply()
            if code != 250:
                # This reply ends the transaction (RFC 5321 4.1.1.4) and the next envelope is on
                # its way already: no RSET, which the server would read as the next message's body.
                if code == 421:
                    smtp.close()
                raise smtplib.SMTPDataError(code, reply)
        except smtplib.SMTPRecipientsRefused as error:
            code, text = next(iter(error.recipients.values()))
            queue.count_refused(row, code, text)
        except smtplib.SMTPResponseException as error:
            queue.count_refused(row, error.smtp_code, error.smtp_error)
        except (OSError, smtplib.SMTPException) as error:
            queue.stop(outage=Outage(f"{type(error).__name__}: {error}"), row=row)
            if following is not None:
                queue.stop(row=following[0])
            return
        else:
            marks.mark(row.pk)  # as `_lane` does
            queue.count_sent()
        item, envelope_sent = (following, True) if following is not None else (queue.take(), False)


def _smtp_send(smtp: smtplib.SMTP, sender: str, to: str, data: bytes) -> None:
    """smtplib's `sendmail` for one recipient, its replies and exceptions the same, with the
    envelope addresses given ready (`<addr>`): sendmail parses both again for every message.
    For a server without PIPELINING: one command at a time."""
    smtp.ehlo_or_helo_if_needed()
    _envelope_step(smtp, "mail", f"FROM:{sender}{_size(smtp, data)}", smtplib.SMTPSenderRefused, sender, to)
    _envelope_step(smtp, "rcpt", f"TO:{_envelope(mime.address(to))}", smtplib.SMTPRecipientsRefused, sender, to)
    smtp.putcmd("data")
    code, reply = smtp.getreply()
    if code != 354:
        _abort(smtp, code)
        raise smtplib.SMTPDataError(code, reply)
    smtp.send(_dot_stuffed(data))
    code, reply = smtp.getreply()
    if code != 250:
        _abort(smtp, code)
        raise smtplib.SMTPDataError(code, reply)


def _size(smtp: smtplib.SMTP, data: bytes) -> str:
    return f" size={len(data)}" if smtp.does_esmtp and smtp.has_extn("size") else ""


def _envelope_step(smtp: smtplib.SMTP, command: str, args: str, refused: type, sender: str, to: str) -> None:
    smtp.putcmd(command, args)
    code, reply = smtp.getreply()
    if not _accepted(command, code):
        _abort(smtp, code)
        raise _refusal(refused, code, reply, sender, to)


def _accepted(command: str, code: int) -> bool:
    return code == 250 or (command == "rcpt" and code == 251)


def _envelope_commands(smtp: smtplib.SMTP, sender: str, to: str, data: bytes) -> bytes:
    """MAIL, RCPT and DATA for one recipient, to be written at once."""
    commands = f"MAIL FROM:{sender}{_size(smtp, data)}\r\nRCPT TO:{_envelope(mime.address(to))}\r\nDATA\r\n"
    if commands.count("\r") != 3 or commands.count("\n") != 3:
        raise ValueError("command and arguments contain prohibited newline characters")  # as putcmd
    return commands.encode(smtp.command_encoding)


def _envelope_replies(smtp: smtplib.SMTP, sender: str, to: str) -> None:
    """The replies to a pipelined MAIL, RCPT and DATA, each read in order before a refusal is
    raised (the connection is then ready for the next message); the body follows a 354."""
    refusal = None
    for step, refused in (("mail", smtplib.SMTPSenderRefused), ("rcpt", smtplib.SMTPRecipientsRefused)):
        code, reply = smtp.getreply()
        if not _accepted(step, code) and refusal is None:
            refusal = _refusal(refused, code, reply, sender, to)
        if code == 421:  # the server is closing: no more replies come
            smtp.close()
            raise refusal or smtplib.SMTPServerDisconnected("421")
    code, reply = smtp.getreply()
    if refusal is not None or code != 354:
        if code == 354:  # a server that takes DATA after a refusal: no empty message, no further use
            smtp.close()
        else:
            _abort(smtp, code)
        raise refusal or smtplib.SMTPDataError(code, reply)


def _refusal(refused: type, code: int, reply: bytes, sender: str, to: str) -> smtplib.SMTPException:
    if refused is smtplib.SMTPRecipientsRefused:
        return smtplib.SMTPRecipientsRefused({to: (code, reply)})
    return smtplib.SMTPSenderRefused(code, reply, sender)


_LEADING_DOT = re.compile(rb"(?m)^\.")


def _dot_stuffed(data: bytes) -> bytes:
    """The body as smtplib's `data` sends it: a leading dot doubled, CRLF, then the lone dot."""
    body = _LEADING_DOT.sub(b"..", data)
    return body + (b".\r\n" if body.endswith(b"\r\n") else b"\r\n.\r\n")


def _abort(smtp: smtplib.SMTP, code: int) -> None:
    """As sendmail does after a refusal: 421 closes the connection, anything else resets the transaction."""
    if code == 421:
        smtp.close()
    else:
        with contextlib.suppress(smtplib.SMTPServerDisconnected):  # as sendmail's own reset
            smtp.rset()


def _envelope(address: str) -> str:
    """`<addr>` for MAIL FROM / RCPT TO: a plain address as it is, anything else parsed by smtplib."""
    return f"<{address}>" if mime.is_plain_address(address) else smtplib.quoteaddr(address)


# One statement per accepted message: plain SQL, not the ORM's UPDATE (~100 µs to compile each);
# prepared once per mark connection, so PostgreSQL neither parses nor plans it again (~20% of
# its CPU time a mark).
_MARK_SENT_SET = "UPDATE {table} SET status = {0}, sent_at = {1}, claimed_until = NULL, error = '' WHERE id = {2}"
_MARK_SENT = _MARK_SENT_SET.format("%s", "%s", "%s", table=OutboxMessage._meta.db_table)
_PREPARE_MARK_SENT = "PREPARE marketing_mark_sent (varchar, timestamptz, bigint) AS " + _MARK_SENT_SET.format(
    "$1", "$2", "$3", table=OutboxMessage._meta.db_table
)
_MARK_SENT_PREPARED = "EXECUTE marketing_mark_sent (%s, %s, %s)"


class _Marks:
    """A lane's "sent" marks over Django's connection: each UPDATE waits for its result."""

    def __init__(self, cursor):
        self.cursor = cursor

    def mark(self, pk: int) -> None:
        self.cursor.execute(_MARK_SENT, [Status.SENT, timezone.now(), pk])

    def finish(self) -> None:
        """Nothing is left in flight."""


class _AsyncMarks(_Marks):
    """A lane's marks over an asynchronous psycopg2 connection of its own (prepared, autocommit,
    asynchronous commit): `mark` returns once its UPDATE has left for the database, and its
    result is read before the next mark is sent (or at `finish`). Meanwhile the lane sends the
    next message, so the database's reply is no longer on the path of every message.
    A crash loses no mark by it: an UPDATE that has left is committed even if this process
    dies (as a synchronous one would be before its reply), and the next body leaves only
    after the mark of the one before; so one message per lane is still the most a crash
    can send twice."""

    def __init__(self, raw):
        super().__init__(raw.cursor())
        self.raw = raw
        self.in_flight = False

    def mark(self, pk: int) -> None:
        self.finish()
        self.cursor.execute(_MARK_SENT_PREPARED, [Status.SENT, timezone.now(), pk])
        self.in_flight = True
        _poll(self.raw, until_sent=True)

    def finish(self) -> None:
        if self.in_flight:
            _poll(self.raw)  # raises the UPDATE's error, if any
            self.in_flight = False


def _poll(raw, *, until_sent: bool = False) -> None:
    """Drive an asynchronous psycopg2 connection until its query has left (`until_sent`)
    or until its result is in."""
    extensions = _driver().extensions
    while True:
        state = raw.poll()
        if state == extensions.POLL_OK:
            return
        if state == extensions.POLL_WRITE:
            select.select([], [raw], [])
        elif until_sent:
            return
        else:
            select.select([raw], [], [])


# This process's database connections for the lanes' marks, kept between batches
# (a new PostgreSQL connection costs more than a batch). Keyed by process id: a
# forked worker process never uses its parent's.
_mark_connections: dict[int, queue_module.SimpleQueue] = {}


@contextlib.contextmanager
def _mark_connection():
    """A lane's `_AsyncMarks`, over a connection of this process's own, everything it sent answered on exit."""
    pool = _mark_connections.setdefault(os.getpid(), queue_module.SimpleQueue())
    try:
        marks = pool.get_nowait()
    except queue_module.Empty:
        raw = _driver().connect(**db.get_connection_params(), async_=1)
        _poll(raw)
        marks = _AsyncMarks(raw)
        for statement in ("SET synchronous_commit TO OFF", _PREPARE_MARK_SENT):
            marks.cursor.execute(statement)
            _poll(raw)
    try:
        yield marks
        marks.finish()
    except BaseException:
        marks.raw.close()  # in an unknown state: the next batch opens another
        raise
    pool.put(marks)


def _messages(rows: list[Recipient], prepared: templates.PreparedTemplate):
    for row in rows:
        yield row, _message(row, prepared)


def _message(row: Recipient, prepared: templates.PreparedTemplate) -> mime.CampaignEmail:
    unsubscribe = tokens.unsubscribe_url(row.pk)
    context = {**row.context, "unsubscribe_url": unsubscribe, "email": row.email}
    context["open_pixel_url"] = tokens.open_pixel_url(row.pk)
    for index, link_id in enumerate(prepared.link_ids):
        context[f"link_{index}"] = tokens.click_url(row.pk, link_id)
    return marketing_message(
        to=row.email,
        rendered=prepared.render(context),
        message_id=row.message_id,
        unsubscribe_url=unsubscribe,
        connection=None,
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


def _refused(row: Recipient, code: int, text, retry: list, counts: dict) -> None:
    """4xx: try again later (the row stays this campaign's); 5xx: bounced for good."""
    error = f"{code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"[:500]
    row.error = error
    if 400 <= code < 500:
        retry.append(row)
        counts["retried"] += 1
        return
    OutboxMessage.objects.filter(pk=row.pk).update(status=Status.BOUNCED, error=error, claimed_until=None)
    counts["bounced"] += 1


def _retry_later(rows: list[Recipient]) -> None:
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
