"""Drip sequences: configuration and the engine beat runs every few minutes.

The engine is set-based: enrolment is one INSERT … SELECT per sequence, exits are
two UPDATEs, and each due step is claimed with one INSERT … SELECT … ON CONFLICT
DO NOTHING RETURNING into SequenceStepRun, whose unique (sequence, customer, step)
row makes every step happen once however often (or concurrently) the run repeats.
Only the customers that INSERT returned get the step's effect.

A "send a template" step goes the campaigns' way (marketing.services.sending): its
run rows are written pending, committed, then claimed with the same conditional
UPDATE and lease as campaign rows, rendered per customer by the locked-down merge
engine with the unsubscribe footer and one-click headers, sent only to customers
opted in at that moment, and marked sent one by one. A retried run finds its rows
claimed or sent; rows a dead process left behind are sent (once) after the lease."""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from customers.models import Customer
from sales.models import Order, Task

from .. import tokens
from ..models import (
    EmailTemplate,
    FormSubmission,
    SegmentMember,
    Sequence,
    SequenceEnrollment,
    SequenceStep,
    SequenceStepRun,
)
from . import sending, templates

logger = logging.getLogger(__name__)

STEP_FIELDS = ("kind", "wait_days", "template", "tag", "task_title")
MAX_PASSES = 20  # steps one run may advance an enrollment by (chains of no-wait steps)
# Events are read from this long before the watermark: a row written by a transaction that
# committed after the previous run (its timestamp older than the watermark) is still seen;
# the unique (sequence, customer) row makes the overlap harmless.
OVERLAP = timedelta(minutes=30)


# --- configuration ---------------------------------------------------------------------------
@transaction.atomic
def sequence_save(*, sequence: Sequence, steps: list[dict], actor: User | None, **fields) -> Sequence:
    """Create or edit a sequence and its steps (positions 1..n in the given order).

    Steps are updated in place by position, not replaced: their run rows stay, so an
    edit never makes a step happen twice."""
    for name, value in fields.items():
        setattr(sequence, name, value)
    sequence.full_clean(exclude=["enrolled_until"])
    sequence.save()
    for position, row in enumerate(steps, start=1):
        values = {name: row.get(name) for name in STEP_FIELDS}
        values["wait_days"] = values["wait_days"] or 0
        values["task_title"] = values["task_title"] or ""
        SequenceStep.objects.update_or_create(sequence=sequence, position=position, defaults=values)
    SequenceStep.objects.filter(sequence=sequence, position__gt=len(steps)).delete()
    return sequence


# --- the engine ------------------------------------------------------------------------------
def sequences_run(*, now: datetime | None = None) -> dict:
    """Enrol, exit, then advance every due enrollment; counts for the job log."""
    now = now or timezone.now()
    enrolled = sum(_enrol(sequence=sequence, now=now) for sequence in Sequence.objects.filter(is_active=True))
    exited = sequences_exit()
    counts = _mail_counts()
    sequence_mail_send(run_ids=_mail_left_behind(now=now), counts=counts)
    steps = _advance(now=now, counts=counts)
    return {"enrolled": enrolled, "exited": exited, "steps": steps, "mailed": counts["sent"]}


def _trigger_customers(sequence: Sequence, *, since: datetime | None, until: datetime) -> QuerySet[Customer]:
    """The customers whose trigger event happened in (since, until]."""
    customers = Customer.objects.filter(deleted_at__isnull=True)
    events: QuerySet[Any]
    if sequence.trigger == Sequence.Trigger.JOINS_SEGMENT:
        if sequence.segment_id is None:
            return customers.none()
        events = SegmentMember.objects.filter(segment_id=sequence.segment_id, customer=OuterRef("pk"))
        at = "joined_at"
    elif sequence.trigger == Sequence.Trigger.SUBMITS_FORM:
        if sequence.form_id is None:
            return customers.none()
        events = FormSubmission.objects.filter(form_id=sequence.form_id, data__email__iexact=OuterRef("email"))
        customers = customers.exclude(email="")
        at = "created_at"
    else:
        events = Order.objects.filter(customer=OuterRef("pk"))
        at = "created_at"
    events = events.filter(**{f"{at}__lte": until})
    if since is not None:
        events = events.filter(**{f"{at}__gt": since - OVERLAP})
    return customers.filter(Exists(events))


@transaction.atomic
def _enrol(*, sequence: Sequence, now: datetime) -> int:
    """One INSERT … SELECT of the new trigger events' customers; the unique
    (sequence, customer) row enrols each customer once, ever."""
    sequence = Sequence.objects.select_for_update().get(pk=sequence.pk)
    select_sql, params = (
        _trigger_customers(sequence, since=sequence.enrolled_until, until=now)
        .values("id")
        .order_by()
        .query.sql_with_params()
    )
    table = SequenceEnrollment._meta.db_table
    stamp = connection.ops.adapt_datetimefield_value(now)  # raw SQL: stored as the ORM stores it
    with connection.cursor() as cursor:
        # "WHERE 1=1" keeps SQLite from reading ON CONFLICT as a join's ON.
        cursor.execute(
            f"INSERT INTO {table} (sequence_id, customer_id, next_position, next_run_at, status, exit_reason, "  # noqa: S608 - the ORM's SQL
            f"enrolled_at) SELECT %s, picked.id, 1, %s, %s, '', %s FROM ({select_sql}) picked "
            "WHERE 1=1 "
            "ON CONFLICT (sequence_id, customer_id) DO NOTHING",
            [sequence.pk, stamp, SequenceEnrollment.Status.ACTIVE, stamp, *params],
        )
        count = cursor.rowcount
    sequence.enrolled_until = now
    sequence.save(update_fields=["enrolled_until"])
    return max(count, 0)


def sequences_exit() -> int:
    """Stop enrollments whose customer opted out, or reached the sequence's goal
    (a paid order placed since enrolling): two UPDATEs."""
    active = SequenceEnrollment.objects.filter(status=SequenceEnrollment.Status.ACTIVE)
    opted_out = active.filter(customer__email_consent=Customer.Consent.OPTED_OUT).update(
        status=SequenceEnrollment.Status.EXITED, exit_reason="opted out"
    )
    paid_since = Order.objects.filter(
        customer=OuterRef("customer"), status=Order.Status.PAID, ordered_at__gte=OuterRef("enrolled_at")
    )
    goal = (
        active.filter(sequence__goal=Sequence.Goal.ORDER)
        .filter(Exists(paid_since))
        .update(status=SequenceEnrollment.Status.EXITED, exit_reason="goal reached")
    )
    return opted_out + goal


def _advance(*, now: datetime, counts: dict) -> int:
    steps = {(step.sequence_id, step.position): step for step in SequenceStep.objects.select_related("template", "tag")}
    done = 0
    for _pass in range(MAX_PASSES):
        due = SequenceEnrollment.objects.filter(
            status=SequenceEnrollment.Status.ACTIVE, next_run_at__lte=now, sequence__is_active=True
        )
        groups = list(due.values_list("sequence_id", "next_position").distinct().order_by())
        if not groups:
            break
        for sequence_id, position in groups:
            group = due.filter(sequence_id=sequence_id, next_position=position)
            step = steps.get((sequence_id, position))
            if step is None:  # past the last step
                group.update(status=SequenceEnrollment.Status.DONE)
                continue
            run_ids = step_run(step=step, enrollments=group, now=now)
            done += len(run_ids)
            if step.kind == SequenceStep.Kind.SEND:
                # After step_run committed its pending rows: a crash from here on leaves
                # them for _mail_left_behind, never a step that happens twice.
                sequence_mail_send(run_ids=run_ids, counts=counts)
    return done


@transaction.atomic
def step_run(*, step: SequenceStep, enrollments: QuerySet[SequenceEnrollment], now: datetime) -> list[int]:
    """Claim the step for these enrollments, do it for the customers claimed, move
    them on; the ids of the run rows claimed (a send step's rows wait, pending, for
    sequence_mail_send once this commits)."""
    claimed = _claim(step=step, enrollments=enrollments, now=now)
    if claimed:
        PERFORM[step.kind](step=step, customer_ids=[customer for _run, customer in claimed], now=now)
    wait = timedelta(days=step.wait_days) if step.kind == SequenceStep.Kind.WAIT else timedelta(0)
    enrollments.update(next_position=step.position + 1, next_run_at=now + wait)
    return [run for run, _customer in claimed]


def _claim(*, step: SequenceStep, enrollments: QuerySet[SequenceEnrollment], now: datetime) -> list[tuple[int, int]]:
    """(run id, customer id) of the customers this call claimed the step for."""
    select_sql, params = enrollments.values("customer_id").order_by().query.sql_with_params()
    table = SequenceStepRun._meta.db_table
    mail = step.kind == SequenceStep.Kind.SEND
    status = SequenceStepRun.Status.PENDING if mail else SequenceStepRun.Status.DONE
    # A pending row belongs to this run until the lease ends; then _mail_left_behind sends it.
    lease = now + timedelta(seconds=settings.MARKETING_SEND_LEASE_S) if mail else None
    stamp, until = connection.ops.adapt_datetimefield_value(now), connection.ops.adapt_datetimefield_value(lease)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (sequence_id, customer_id, step_id, ran_at, status, email, message_id, "  # noqa: S608 - the ORM's SQL
            "claimed_until, attempts, error) "
            f"SELECT %s, due.customer_id, %s, %s, %s, '', '', %s, 0, '' FROM ({select_sql}) due WHERE 1=1 "
            "ON CONFLICT (sequence_id, customer_id, step_id) DO NOTHING RETURNING id, customer_id",
            [step.sequence_id, step.pk, stamp, status, until, *params],
        )
        return [(row[0], row[1]) for row in cursor.fetchall()]


# --- what each step does -----------------------------------------------------------------------
def _wait(*, step: SequenceStep, customer_ids: list[int], now: datetime) -> None:
    """Nothing to do now: moving on sets next_run_at = now + the days."""


def _tag(*, step: SequenceStep, customer_ids: list[int], now: datetime) -> None:
    # One INSERT into the tags through-table, whatever the number of customers.
    through = Customer.tags.through
    through.objects.bulk_create(
        [through(customer_id=pk, tag_id=step.tag_id) for pk in customer_ids], ignore_conflicts=True, batch_size=5000
    )


def _task(*, step: SequenceStep, customer_ids: list[int], now: datetime) -> None:
    customers = Customer.objects.filter(pk__in=customer_ids).values_list("pk", "owner_id", "team_id")
    Task.objects.bulk_create(
        [
            Task(title=step.task_title or str(step.sequence), due_at=now, owner_id=owner, team_id=team, customer_id=pk)
            for pk, owner, team in customers
        ],
        batch_size=1000,
    )


def _send(*, step: SequenceStep, customer_ids: list[int], now: datetime) -> None:
    """Nothing yet: the claimed run rows are this step's outbox, sent once they are
    committed (sequence_mail_send), so no mail leaves for a claim that rolls back."""


# --- drip mail: the campaigns' sending path over SequenceStepRun rows --------------------------
MailStatus = SequenceStepRun.Status


def _mail_counts() -> dict:
    return {"sent": 0, "skipped": 0, "retried": 0, "bounced": 0, "failed": 0}


def _mail_left_behind(*, now: datetime) -> list[int]:
    """Send-step rows left pending or claimed past their lease (a process died
    between the claim and the mail, or a 4xx answer's wait is over)."""
    stale = SequenceStepRun.objects.filter(status__in=[MailStatus.PENDING, MailStatus.CLAIMED]).filter(
        Q(claimed_until__lt=now) | Q(claimed_until__isnull=True)
    )
    return list(stale.order_by("pk").values_list("pk", flat=True)[:10_000])


def sequence_mail_claim(*, run_ids: list[int]) -> list[int]:
    """The campaigns' conditional claim over drip rows: the ids returned are this caller's alone."""
    return sending.claim_rows(model=SequenceStepRun, ids=run_ids, message_id_sql="'<seq-' || id")


def sequence_mail_send(*, run_ids: list[int], counts: dict | None = None) -> dict:
    """Claim, then send each claimed row's template to its customer if still opted in,
    marking it sent the moment the server accepted it. Safe to repeat with the same ids."""
    counts = counts if counts is not None else _mail_counts()
    claimed = sequence_mail_claim(run_ids=run_ids)
    if not claimed:
        return counts
    rows = list(SequenceStepRun.objects.filter(pk__in=claimed).select_related("customer__company", "step__template"))
    sendable: list[tuple[SequenceStepRun, EmailTemplate]] = []
    for row in rows:
        template = row.step.template
        if template is None or not sending.may_send(row.customer):
            _mark(row, status=MailStatus.SKIPPED)  # opted out (or gone) since enrolling: skipped, never sent
            counts["skipped"] += 1
        else:
            sendable.append((row, template))
    if sendable:
        _mail_rows(sendable, counts)
    return counts


def _mail_rows(rows: list[tuple[SequenceStepRun, EmailTemplate]], counts: dict) -> None:
    prepared: dict[int, templates.PreparedTemplate] = {}
    try:
        mail = sending.open_connection()
    except sending.Outage as error:
        _release([row for row, _template in rows], error)
        return
    try:
        for index, (row, template) in enumerate(rows):
            if template.pk not in prepared:  # no click tracking: drip rows have no CampaignLinks
                prepared[template.pk] = templates.prepare(template=template, links={}, tracking=False)
            try:
                refusal = sending.send_message(mail, _drip_message(row, prepared[template.pk], mail))
            except sending.Outage as error:
                _release([later for later, _template in rows[index:]], error)
                return
            if refusal is None:
                _mark(row, status=MailStatus.SENT, sent_at=timezone.now(), email=row.customer.email, error="")
                counts["sent"] += 1
            else:
                _refused(row, *refusal, counts=counts)
    finally:
        sending.close_connection(mail)


def _drip_message(row: SequenceStepRun, prepared: templates.PreparedTemplate, mail):
    unsubscribe = tokens.drip_unsubscribe_url(row.pk)
    context = templates.customer_context(customer=row.customer, unsubscribe_url=unsubscribe)
    return sending.marketing_message(
        to=row.customer.email,
        rendered=prepared.render(context),
        message_id=row.message_id,
        unsubscribe_url=unsubscribe,
        connection=mail,
    )


def _refused(row: SequenceStepRun, code: int, text: str, *, counts: dict) -> None:
    """As for campaigns: 4xx waits and is tried again (by a later run), 5xx bounces."""
    error = f"{code} {text}"[:500]
    at = sending.retry_at(attempts=row.attempts, now=timezone.now()) if 400 <= code < 500 else None
    if at is not None:
        _mark(row, status=MailStatus.PENDING, claimed_until=at, error=error)
        counts["retried"] += 1
        return
    bounced = code >= 500
    _mark(row, status=MailStatus.BOUNCED if bounced else MailStatus.FAILED, error=error)
    counts["bounced" if bounced else "failed"] += 1


def _release(rows: list[SequenceStepRun], error: Exception) -> None:
    """The mail server is unreachable: the rows wait, pending, for the next run."""
    logger.warning("Drip mail deferred: the mail server failed: %s", error)
    SequenceStepRun.objects.filter(pk__in=[row.pk for row in rows], status=MailStatus.CLAIMED).update(
        status=MailStatus.PENDING, claimed_until=None, error=str(error)[:500]
    )


def _mark(row: SequenceStepRun, *, status: str, claimed_until: datetime | None = None, **fields) -> None:
    # Its own small UPDATE, committed at once (as a campaign row's): a crash later cannot unsend it.
    SequenceStepRun.objects.filter(pk=row.pk).update(status=status, claimed_until=claimed_until, **fields)


PERFORM: dict[str, Callable[..., None]] = {
    SequenceStep.Kind.WAIT: _wait,
    SequenceStep.Kind.TAG: _tag,
    SequenceStep.Kind.TASK: _task,
    SequenceStep.Kind.SEND: _send,
}
