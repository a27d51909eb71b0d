"""Delivering the webhook outbox (healthchecks' sendalerts, pretix's OutgoingMail).

- A task gets a batch of delivery ids (`deliveries_send`). One conditional UPDATE
  claims the rows it may send (pending and due, or delivering past a dead worker's
  lease; endpoint active) with a lease, so two tasks holding the same ids never both
  send, and a delivery that succeeded is never sent again.
- Each row is signed (Standard Webhooks: `webhook-id` is the delivery's message_id,
  the same on every retry) and POSTed over one keep-alive httpx client per batch,
  to the address the SSRF guard checked (webhooks.security), redirects not followed.
- Every attempt is kept (status, duration, response excerpt or error). 2xx: succeeded.
  5xx, 408, 429, timeouts and connection errors: retried with exponential backoff
  (RETRY_FIRST_SECONDS, doubling up to RETRY_MAX_SECONDS). Anything else: failed.
- An endpoint whose deliveries have all failed for CRM_WEBHOOKS_DISABLE_AFTER_HOURS
  is disabled and its owner notified; a delivery that old is not retried any more.
- Beat (`deliveries_due`) sends the retries that are due and the rows a dead worker
  held (lease expired), and fresh rows whose task was lost (QUEUE_GRACE later).
"""

import contextlib
import functools
import json
import logging
import random
import ssl
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from django.conf import settings
from django.core.mail import send_mail
from django.db import connection as db
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from standardwebhooks import Webhook

from accounts.services import notification_create
from jobs.services import registered_task

from ..models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from ..security import HostNotFound, Target, UnsafeUrl, url_target

logger = logging.getLogger(__name__)
# httpx logs every request at INFO: 10,000 log lines for a burst. The attempts are in the delivery log.
logging.getLogger("httpx").setLevel(logging.WARNING)

Status = WebhookDelivery.Status
RETRY_FIRST_SECONDS = 10
RETRY_MAX_SECONDS = 3600
RETRY_STATUSES = frozenset({408, 429})
# A fresh row is the on-commit task's for this long; then beat sends it (the task was lost).
QUEUE_GRACE = timedelta(minutes=2)
EXCERPT_CHARS = 1000
# Outcomes are written every RECORD_EVERY deliveries or RECORD_SECONDS, whichever comes first:
# a worker that dies in between sends those again (same webhook-id), it never loses one.
RECORD_EVERY = 10
RECORD_SECONDS = 1.0
USER_AGENT = "CRM-Webhooks/1"


# ------------------------------------------------------------------ create and enqueue

# Delivery ids created in this thread and not enqueued yet. The first commit after
# they were written enqueues them all: a transaction that emits 10,000 events sends
# 200 tasks, not 10,000. (Ids of a rolled-back transaction may go along with a later
# commit's; the claim skips them, their rows do not exist.)
_waiting = threading.local()


def deliveries_create(*, event: WebhookEvent, endpoint_ids: list[int]) -> list[WebhookDelivery]:
    """The outbox rows of one event for these endpoints, sent after the commit."""
    # Beat leaves a fresh row to its on-commit task for QUEUE_GRACE (lease_until on a pending row).
    queued_until = timezone.now() + QUEUE_GRACE
    deliveries = WebhookDelivery.objects.bulk_create(
        [WebhookDelivery(event=event, endpoint_id=pk, lease_until=queued_until) for pk in endpoint_ids]
    )
    waiting = getattr(_waiting, "ids", None)
    if waiting is None:
        waiting = _waiting.ids = []
    waiting.extend(delivery.pk for delivery in deliveries)
    transaction.on_commit(_enqueue_waiting)
    return deliveries


def _enqueue_waiting() -> None:
    ids = getattr(_waiting, "ids", None)
    if ids:
        _waiting.ids = []
        deliveries_enqueue(ids=ids)


def deliveries_enqueue(*, ids: list[int]) -> int:
    """One task per batch of CRM_WEBHOOKS_BATCH_SIZE ids; returns how many tasks."""
    task = registered_task("webhooks.deliveries_send")
    size = settings.CRM_WEBHOOKS_BATCH_SIZE
    batches = [ids[first : first + size] for first in range(0, len(ids), size)]
    for batch in batches:
        task.apply_async(kwargs={"ids": batch}, queue=settings.CRM_WEBHOOKS_QUEUE)
    return len(batches)


def deliveries_due(*, limit: int = 10_000) -> dict:
    """Beat: queue what is due and nobody is sending. Rows go back to pending with a
    QUEUE_GRACE mark, so the next beat does not queue them again while they wait."""
    now = timezone.now()
    due = (
        WebhookDelivery.objects.filter(endpoint__is_active=True)
        .filter(
            Q(status=Status.PENDING, next_attempt_at__lte=now) & (Q(lease_until__isnull=True) | Q(lease_until__lt=now))
            | Q(status=Status.DELIVERING, lease_until__lt=now)
        )
        .order_by("next_attempt_at", "pk")
    )
    ids = list(due.values_list("pk", flat=True)[:limit])
    stale = WebhookDelivery.objects.filter(pk__in=ids).filter(
        Q(status=Status.PENDING) | Q(status=Status.DELIVERING, lease_until__lt=now)
    )
    requeued = stale.update(status=Status.PENDING, next_attempt_at=now, lease_until=now + QUEUE_GRACE)
    deliveries_enqueue(ids=ids)
    return {"queued": requeued}


# ------------------------------------------------------------------ claim


def deliveries_claim(*, ids: list[int]) -> list[int]:
    """Claim the rows of `ids` this caller may send, with a lease; the ids returned are its alone."""
    if not ids:
        return []
    now = timezone.now()
    adapt = db.ops.adapt_datetimefield_value
    delivery, endpoint = WebhookDelivery._meta.db_table, WebhookEndpoint._meta.db_table
    sql = f"""
        UPDATE {delivery} SET status = %s, lease_until = %s
        WHERE id IN ({", ".join(["%s"] * len(ids))})
          AND endpoint_id IN (SELECT id FROM {endpoint} WHERE is_active)
          AND ((status = %s AND next_attempt_at <= %s) OR (status = %s AND lease_until < %s))
        RETURNING id
    """  # noqa: S608 - table names come from the models; every value is a parameter
    lease = now + timedelta(seconds=settings.CRM_WEBHOOKS_LEASE_SECONDS)
    params = [Status.DELIVERING, adapt(lease), *ids, Status.PENDING, adapt(now), Status.DELIVERING, adapt(now)]
    with transaction.atomic(), db.cursor() as cursor:
        cursor.execute(sql, params)
        return sorted(row[0] for row in cursor.fetchall())


# ------------------------------------------------------------------ send a batch


@dataclass
class Outcome:
    """What one request gave: a status code, or an error without a response."""

    started_at: datetime
    duration_ms: int
    status_code: int | None = None
    error: str = ""
    excerpt: str = ""
    retryable: bool = False

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def deliveries_send(*, ids: list[int]) -> dict:
    """The task's body: claim, send and record the rows of one batch."""
    with _async_commit():
        claimed = deliveries_claim(ids=ids)
        if not claimed:
            return {"claimed": 0}
        rows = list(WebhookDelivery.objects.filter(pk__in=claimed).select_related("event", "endpoint").order_by("pk"))
        endpoints = {row.endpoint_id: row.endpoint for row in rows}
        counts: Counter[str] = Counter()
        batch = _Batch(claimed)
        with _client() as client:
            for row in rows:
                row.endpoint = endpoints[row.endpoint_id]  # one copy per batch: its failing streak
                batch.keep_lease()
                batch.sent(row, _send(client, row, batch.target(row.endpoint)))
                if batch.should_record():
                    counts.update(batch.record())
        counts.update(batch.record())
        return dict(counts)


class _Batch:
    """The batch's state: the addresses checked for its endpoints, and its lease."""

    def __init__(self, claimed: list[int]):
        self.open = set(claimed)
        self.targets: dict[int, Target | UnsafeUrl] = {}
        self.renew_at = time.monotonic() + settings.CRM_WEBHOOKS_LEASE_SECONDS / 2
        self.results: list[tuple[WebhookDelivery, Outcome]] = []
        self.record_at = time.monotonic() + RECORD_SECONDS

    def sent(self, row: WebhookDelivery, outcome: Outcome) -> None:
        self.results.append((row, outcome))
        self.open.discard(row.pk)

    def should_record(self) -> bool:
        return len(self.results) >= RECORD_EVERY or time.monotonic() >= self.record_at

    def record(self) -> Counter[str]:
        results, self.results = self.results, []
        self.record_at = time.monotonic() + RECORD_SECONDS
        return deliveries_record(results=results) if results else Counter()

    def target(self, endpoint: WebhookEndpoint) -> Target | UnsafeUrl:
        # Checked once per batch and endpoint, right before its first request.
        if endpoint.pk not in self.targets:
            try:
                self.targets[endpoint.pk] = url_target(endpoint.url)
            except UnsafeUrl as refusal:
                self.targets[endpoint.pk] = refusal
        return self.targets[endpoint.pk]

    def keep_lease(self) -> None:
        """Half the lease gone (slow receivers): extend it for the rows not sent yet."""
        if time.monotonic() < self.renew_at:
            return
        lease = timezone.now() + timedelta(seconds=settings.CRM_WEBHOOKS_LEASE_SECONDS)
        WebhookDelivery.objects.filter(pk__in=self.open, status=Status.DELIVERING).update(lease_until=lease)
        self.renew_at = time.monotonic() + settings.CRM_WEBHOOKS_LEASE_SECONDS / 2


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    # Loading the CA bundle takes ~50 ms: once per process, not once per batch.
    return httpx.create_ssl_context()


def _client() -> httpx.Client:
    return httpx.Client(
        verify=_ssl_context(),
        timeout=settings.CRM_WEBHOOKS_TIMEOUT_SECONDS,
        follow_redirects=False,
        trust_env=False,  # no proxy from the environment: the checked address is the one connected to
        headers={"user-agent": USER_AGENT, "content-type": "application/json"},
    )


def signed_headers(*, secret: str, message_id: str, body: bytes, now: datetime) -> dict[str, str]:
    """The Standard Webhooks headers: the signature covers id.timestamp.body."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id=message_id, timestamp=now, data=body),
    }


def delivery_body(delivery: WebhookDelivery) -> bytes:
    return json.dumps(delivery.event.payload, separators=(",", ":"), ensure_ascii=False).encode()


def _send(client: httpx.Client, delivery: WebhookDelivery, target: Target | UnsafeUrl) -> Outcome:
    started_at = timezone.now()
    clock = time.monotonic()
    if isinstance(target, UnsafeUrl):
        return Outcome(started_at, 0, error=str(target)[:300], retryable=isinstance(target, HostNotFound))
    body = delivery_body(delivery)
    headers = signed_headers(secret=delivery.endpoint.secret, message_id=delivery.message_id, body=body, now=started_at)
    url = httpx.URL(delivery.endpoint.url)
    # Connect to the checked address; the Host header and TLS name stay the URL's.
    request = client.build_request(
        "POST",
        url.copy_with(host=target.address),
        content=body,
        headers={**headers, "host": url.netloc.decode("ascii")},
        extensions={"sni_hostname": target.host},
    )
    try:
        response = client.send(request, stream=True)
        try:
            excerpt = _excerpt(response, deadline=clock + settings.CRM_WEBHOOKS_TIMEOUT_SECONDS)
        finally:
            response.close()
    except httpx.TimeoutException as error:
        return Outcome(started_at, _ms(clock), error=_error_text(_("Timed out"), error), retryable=True)
    except httpx.HTTPError as error:
        return Outcome(started_at, _ms(clock), error=_error_text(_("Connection failed"), error), retryable=True)
    code = response.status_code
    retryable = code >= 500 or code in RETRY_STATUSES
    return Outcome(started_at, _ms(clock), status_code=code, excerpt=excerpt, retryable=retryable)


def _excerpt(response: httpx.Response, *, deadline: float) -> str:
    """The first EXCERPT_CHARS of the body; a receiver that trickles its answer is not waited for."""
    data = b""
    for chunk in response.iter_raw():
        data += chunk
        if len(data) >= EXCERPT_CHARS * 4 or time.monotonic() > deadline:
            break
    return data.decode("utf-8", errors="replace")[:EXCERPT_CHARS]


def _error_text(what: str, error: Exception) -> str:
    detail = str(error) or type(error).__name__
    return f"{what}: {detail}"[:300]


def _ms(clock: float) -> int:
    return int((time.monotonic() - clock) * 1000)


# ------------------------------------------------------------------ record the outcome


def retry_delay(*, attempt: int) -> timedelta:
    """After the attempt-th failure: 10 s, 20 s, 40 s ... up to an hour, less up to a quarter
    (jitter, so the retries of many deliveries do not arrive together)."""
    seconds = min(RETRY_FIRST_SECONDS * 2 ** (attempt - 1), RETRY_MAX_SECONDS)
    return timedelta(seconds=seconds * random.uniform(0.75, 1.0))  # noqa: S311 - spreading, not secrecy


@transaction.atomic
def deliveries_record(*, results: list[tuple[WebhookDelivery, Outcome]]) -> Counter[str]:
    """Keep the attempts and move the deliveries on, a few at a time (one INSERT, one UPDATE
    per outcome code, one per retry); returns what became of them."""
    now = timezone.now()
    WebhookAttempt.objects.bulk_create(
        WebhookAttempt(
            delivery=row,
            started_at=outcome.started_at,
            duration_ms=outcome.duration_ms,
            status_code=outcome.status_code,
            error=outcome.error,
            response_excerpt=outcome.excerpt,
        )
        for row, outcome in results
    )
    finished: dict[tuple[str, int | None], list[int]] = {}
    counts: Counter[str] = Counter()
    for row, outcome in results:
        result = _result(row, outcome, now=now)
        counts["retrying" if result == Status.PENDING else str(result)] += 1
        if result == Status.PENDING:
            retry_at = now + retry_delay(attempt=row.attempt_count + 1)
            WebhookDelivery.objects.filter(pk=row.pk).update(
                status=result, attempt_count=F("attempt_count") + 1, last_status_code=outcome.status_code,
                next_attempt_at=retry_at, lease_until=None,
            )  # fmt: skip
        else:
            finished.setdefault((result, outcome.status_code), []).append(row.pk)
        _endpoint_outcome(endpoint=row.endpoint, succeeded=outcome.succeeded, now=now)
    for (result, code), pks in finished.items():
        delivered_at = now if result == Status.SUCCEEDED else None
        WebhookDelivery.objects.filter(pk__in=pks).update(
            status=result, attempt_count=F("attempt_count") + 1, last_status_code=code,
            delivered_at=delivered_at, lease_until=None,
        )  # fmt: skip
    return counts


def _result(row: WebhookDelivery, outcome: Outcome, *, now: datetime) -> str:
    if outcome.succeeded:
        return Status.SUCCEEDED
    if outcome.retryable and row.created_at > now - _give_up_after():
        return Status.PENDING
    return Status.FAILED


def _give_up_after() -> timedelta:
    return timedelta(hours=settings.CRM_WEBHOOKS_DISABLE_AFTER_HOURS)


def _endpoint_outcome(*, endpoint: WebhookEndpoint, succeeded: bool, now: datetime) -> None:
    """Track how long the endpoint has been failing (the row in memory is the batch's copy)."""
    if succeeded:
        if endpoint.failing_since is not None:
            WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=None)
            endpoint.failing_since = None
        return
    if endpoint.failing_since is None:
        # Another worker may have set it first: keep the earliest.
        WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=True).update(failing_since=now)
        endpoint.refresh_from_db(fields=["failing_since", "is_active"])
    if endpoint.is_active and endpoint.failing_since and endpoint.failing_since <= now - _give_up_after():
        endpoint_disable_failing(endpoint=endpoint, now=now)


def endpoint_disable_failing(*, endpoint: WebhookEndpoint, now: datetime) -> bool:
    """Disable an endpoint that failed for too long and tell its owner (once: a conditional UPDATE)."""
    hours = settings.CRM_WEBHOOKS_DISABLE_AFTER_HOURS
    with translation.override(_owner_language(endpoint)):
        reason = _("Every delivery failed for %(hours)d hours.") % {"hours": hours}
        disabled = WebhookEndpoint.objects.filter(pk=endpoint.pk, is_active=True).update(
            is_active=False, disabled_at=now, disabled_reason=reason
        )
        endpoint.is_active = False
        if disabled and endpoint.owner is not None:
            _notify_owner(endpoint=endpoint, reason=reason)
    return bool(disabled)


def _owner_language(endpoint: WebhookEndpoint) -> str:
    owner = endpoint.owner
    return (owner.language if owner is not None else "") or settings.LANGUAGE_CODE


def _notify_owner(*, endpoint: WebhookEndpoint, reason: str) -> None:
    owner = endpoint.owner
    assert owner is not None  # noqa: S101 - the caller checked
    text = _("The webhook endpoint “%(name)s” was disabled: %(reason)s") % {"name": endpoint.name, "reason": reason}
    url = reverse("webhooks:endpoint-detail", args=[endpoint.pk])
    notification_create(user=owner, text=text, url=url)
    if owner.email:
        body = _("%(text)s\n\nCheck the receiver, then enable the endpoint again on its page: %(url)s") % {
            "text": text,
            "url": settings.CRM_SITE_URL + url,
        }
        # Mail trouble must not undo the disabling: the in-app notification is there.
        transaction.on_commit(lambda: _mail(text, body, owner.email))


def _mail(subject: str, body: str, to: str) -> None:
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to])
    except Exception:
        logger.exception("The webhook endpoint's owner could not be e-mailed")


@contextlib.contextmanager
def _async_commit():
    """PostgreSQL: the batch's small UPDATEs commit without waiting for the WAL flush
    (as marketing's outbox does). A database crash could lose the last marks; those
    deliveries are sent again with the same webhook-id, which receivers drop."""
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


PRUNE_BATCH = 5000


def events_prune(*, now=None) -> int:
    """Delete events older than CRM_WEBHOOKS_KEEP_DAYS none of whose deliveries is still
    pending or being delivered (their deliveries and attempts go with them); return how many."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.CRM_WEBHOOKS_KEEP_DAYS)
    unfinished = WebhookDelivery.objects.filter(
        event=OuterRef("pk"),
        status__in=[WebhookDelivery.Status.PENDING, WebhookDelivery.Status.DELIVERING],
    )
    old = WebhookEvent.objects.filter(created_at__lt=cutoff).exclude(Exists(unfinished)).order_by("pk")
    pruned = 0
    # In batches: Django's delete() holds the rows it collects (and their cascades) in memory.
    while ids := list(old.values_list("pk", flat=True)[:PRUNE_BATCH]):
        WebhookEvent.objects.filter(pk__in=ids).delete()
        pruned += len(ids)
    return pruned
