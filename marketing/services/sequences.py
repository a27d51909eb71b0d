"""Drip sequences: configuration and the engine beat runs every few minutes.

The engine is set-based: enrolment is one INSERT … SELECT per sequence, exits are
two UPDATEs, and each due step is claimed with one INSERT … SELECT … ON CONFLICT
DO NOTHING RETURNING into SequenceStepRun, whose unique (sequence, customer, step)
row makes every step happen once however often (or concurrently) the run repeats.
Only the customers that INSERT returned get the step's effect."""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from accounts.models import User
from customers.models import Customer
from sales.models import Order, Task

from ..models import FormSubmission, SegmentMember, Sequence, SequenceEnrollment, SequenceStep, SequenceStepRun

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
    steps = _advance(now=now)
    return {"enrolled": enrolled, "exited": exited, "steps": steps}


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


def _advance(*, now: datetime) -> int:
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
            done += step_run(step=step, enrollments=group, now=now)
    return done


@transaction.atomic
def step_run(*, step: SequenceStep, enrollments: QuerySet[SequenceEnrollment], now: datetime) -> int:
    """Claim the step for these enrollments, do it for the customers claimed, move them on."""
    customer_ids = _claim(step=step, enrollments=enrollments, now=now)
    if customer_ids:
        PERFORM[step.kind](step=step, customer_ids=customer_ids, now=now)
    wait = timedelta(days=step.wait_days) if step.kind == SequenceStep.Kind.WAIT else timedelta(0)
    enrollments.update(next_position=step.position + 1, next_run_at=now + wait)
    return len(customer_ids)


def _claim(*, step: SequenceStep, enrollments: QuerySet[SequenceEnrollment], now: datetime) -> list[int]:
    select_sql, params = enrollments.values("customer_id").order_by().query.sql_with_params()
    table = SequenceStepRun._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (sequence_id, customer_id, step_id, ran_at) "  # noqa: S608 - the ORM's SQL
            f"SELECT %s, due.customer_id, %s, %s FROM ({select_sql}) due WHERE 1=1 "
            "ON CONFLICT (sequence_id, customer_id, step_id) DO NOTHING RETURNING customer_id",
            [step.sequence_id, step.pk, connection.ops.adapt_datetimefield_value(now), *params],
        )
        return [row[0] for row in cursor.fetchall()]


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
    """The template to each opted-in customer, one SMTP connection, a stable Message-ID
    (a resend after a lost commit is recognisably the same message). A failure is logged:
    the step's run row is already written, so a step is sent at most once."""
    template = step.template
    if template is None:
        return
    recipients = Customer.objects.filter(
        pk__in=customer_ids, email_consent=Customer.Consent.OPTED_IN, deleted_at__isnull=True
    ).exclude(email="")
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip(">") or "localhost"
    with get_connection() as mail:
        for customer in recipients.only("pk", "email", "first_name", "last_name"):
            message = EmailMultiAlternatives(
                subject=_merge(template.subject, customer),
                body=_merge(template.text or template.html, customer),
                to=[customer.email],
                connection=mail,
                headers={"Message-ID": f"<seq-{step.sequence_id}-{step.pk}-{customer.pk}@{domain}>"},
            )
            message.attach_alternative(_merge(template.html, customer, html=True), "text/html")
            try:
                message.send()
            except Exception:  # one bad address must not stop the others
                logger.exception(
                    "Sequence %s step %s: mail to customer %s failed", step.sequence_id, step.pk, customer.pk
                )


def _merge(text: str, customer: Customer, *, html: bool = False) -> str:
    """The merge fields a drip mail may use; marketing.merge (the campaigns' engine) replaces this when it lands."""
    from django.utils.html import escape

    values = {"first_name": customer.first_name, "last_name": customer.last_name, "email": customer.email}
    for name, value in values.items():
        value = escape(value) if html else value
        for spelling in ("{{ " + name + " }}", "{{" + name + "}}"):
            text = text.replace(spelling, value)
    return text


PERFORM: dict[str, Callable[..., None]] = {
    SequenceStep.Kind.WAIT: _wait,
    SequenceStep.Kind.TAG: _tag,
    SequenceStep.Kind.TASK: _task,
    SequenceStep.Kind.SEND: _send,
}
