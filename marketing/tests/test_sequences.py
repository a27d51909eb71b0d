from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.models import Customer
from customers.tests.factories import CustomerFactory, TagFactory
from marketing.models import (
    EmailTemplate,
    FormSubmission,
    LeadForm,
    Segment,
    SegmentMember,
    Sequence,
    SequenceEnrollment,
    SequenceStep,
    SequenceStepRun,
)
from marketing.services.sequences import sequence_save, sequences_run
from sales.models import Task
from sales.tests.factories import OrderFactory

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def segment(db):
    return Segment.objects.create(name="Newcomers", kind=Segment.Kind.STATIC)


@pytest.fixture
def template(db):
    return EmailTemplate.objects.create(
        name="Welcome", subject="Hi {{ first_name }}", html="<p>Hi {{ first_name }}</p>"
    )


def drip(segment, steps, **fields):
    return sequence_save(
        sequence=Sequence(),
        steps=steps,
        actor=None,
        name="Welcome drip",
        trigger=Sequence.Trigger.JOINS_SEGMENT,
        segment=segment,
        is_active=True,
        **fields,
    )


def join(segment, *customers):
    SegmentMember.objects.bulk_create([SegmentMember(segment=segment, customer=c) for c in customers])


def test_a_new_segment_member_is_enrolled_once_however_often_the_engine_runs(segment, time_machine):
    time_machine.move_to(START, tick=False)
    sequence = drip(segment, [{"kind": "wait", "wait_days": 3}])
    customer = CustomerFactory()
    join(segment, customer)
    time_machine.move_to(START + timedelta(minutes=5), tick=False)
    assert sequences_run()["enrolled"] == 1
    assert sequences_run()["enrolled"] == 0
    assert SequenceEnrollment.objects.get().customer == customer
    assert Sequence.objects.get(pk=sequence.pk).enrolled_until is not None


def test_form_submitters_and_order_placers_are_enrolled_by_their_triggers(db, time_machine):
    time_machine.move_to(START, tick=False)
    form = LeadForm.objects.create(name="Newsletter", slug="newsletter", fields=[])
    by_form = sequence_save(
        sequence=Sequence(), steps=[{"kind": "wait", "wait_days": 1}], actor=None,
        name="After the form", trigger="form", form=form, is_active=True,
    )  # fmt: skip
    by_order = sequence_save(
        sequence=Sequence(), steps=[{"kind": "wait", "wait_days": 1}], actor=None,
        name="After an order", trigger="order", is_active=True,
    )  # fmt: skip
    submitter, buyer = CustomerFactory(email="ann@example.com"), CustomerFactory()
    FormSubmission.objects.create(form=form, data={"email": "ANN@example.com"})
    OrderFactory(customer=buyer)
    sequences_run()
    assert set(SequenceEnrollment.objects.values_list("sequence", "customer")) == {
        (by_form.pk, submitter.pk),
        (by_order.pk, buyer.pk),
    }


def test_each_step_happens_once_when_the_engine_runs_twice(segment, template, time_machine):
    time_machine.move_to(START, tick=False)
    tag = TagFactory(name="welcomed")
    drip(
        segment,
        [
            {"kind": "tag", "tag": tag},
            {"kind": "send", "template": template},
            {"kind": "task", "task_title": "Call the newcomer"},
        ],
    )
    customer = CustomerFactory(first_name="Ann", email_consent=Customer.Consent.OPTED_IN)
    join(segment, customer)
    time_machine.move_to(START + timedelta(minutes=1), tick=False)
    sequences_run()
    sequences_run()
    assert SequenceStepRun.objects.count() == 3
    assert list(customer.tags.all()) == [tag]
    assert Task.objects.filter(customer=customer, title="Call the newcomer").count() == 1
    [message] = mail.outbox
    assert message.subject == "Hi Ann" and message.to == [customer.email]
    assert message.extra_headers["Message-ID"].startswith("<seq-")
    assert SequenceEnrollment.objects.get().status == SequenceEnrollment.Status.DONE


def test_mail_steps_reach_only_opted_in_customers(segment, template, time_machine):
    time_machine.move_to(START, tick=False)
    drip(segment, [{"kind": "send", "template": template}])
    join(segment, CustomerFactory(email_consent=Customer.Consent.UNKNOWN))
    time_machine.move_to(START + timedelta(minutes=1), tick=False)
    sequences_run()
    assert mail.outbox == []


def test_a_wait_step_holds_the_customer_for_its_days(segment, time_machine):
    time_machine.move_to(START, tick=False)
    tag = TagFactory(name="day-three")
    drip(segment, [{"kind": "wait", "wait_days": 3}, {"kind": "tag", "tag": tag}])
    customer = CustomerFactory()
    join(segment, customer)
    time_machine.move_to(START + timedelta(minutes=1), tick=False)
    sequences_run()
    time_machine.move_to(START + timedelta(days=2, hours=23), tick=False)
    sequences_run()
    assert not customer.tags.exists()
    time_machine.move_to(START + timedelta(days=3, minutes=2), tick=False)
    sequences_run()
    assert list(customer.tags.all()) == [tag]


def test_enrollments_exit_when_the_customer_opts_out_or_places_a_paid_order(segment, time_machine):
    time_machine.move_to(START, tick=False)
    drip(segment, [{"kind": "wait", "wait_days": 3}, {"kind": "task", "task_title": "Follow up"}], goal="order")
    quitter, buyer, stayer = CustomerFactory(), CustomerFactory(), CustomerFactory()
    join(segment, quitter, buyer, stayer)
    time_machine.move_to(START + timedelta(minutes=1), tick=False)
    sequences_run()
    Customer.objects.filter(pk=quitter.pk).update(email_consent=Customer.Consent.OPTED_OUT)
    time_machine.move_to(START + timedelta(days=1), tick=False)
    OrderFactory(customer=buyer, ordered_at=START + timedelta(days=1))
    time_machine.move_to(START + timedelta(days=4), tick=False)
    sequences_run()
    reasons = dict(SequenceEnrollment.objects.values_list("customer", "exit_reason"))
    assert reasons == {quitter.pk: "opted out", buyer.pk: "goal reached", stayer.pk: ""}
    assert list(Task.objects.values_list("customer", flat=True)) == [stayer.pk]


def test_an_inactive_sequence_does_nothing(segment, time_machine):
    time_machine.move_to(START, tick=False)
    sequence = sequence_save(
        sequence=Sequence(), steps=[{"kind": "wait", "wait_days": 1}], actor=None,
        name="Off", trigger="segment", segment=segment, is_active=False,
    )  # fmt: skip
    join(segment, CustomerFactory())
    sequences_run()
    assert not SequenceEnrollment.objects.filter(sequence=sequence).exists()


@pytest.mark.parametrize("size", [3, 30])
def test_a_tag_step_takes_the_same_statements_for_3_or_30_customers(segment, time_machine, size, request):
    time_machine.move_to(START, tick=False)
    drip(segment, [{"kind": "tag", "tag": TagFactory(name="drip")}])
    join(segment, *CustomerFactory.create_batch(size))
    time_machine.move_to(START + timedelta(minutes=1), tick=False)
    with CaptureQueriesContext(connection) as queries:
        sequences_run()
    assert Customer.tags.through.objects.count() == size
    assert len(queries) == EXPECTED_RUN_QUERIES[connection.vendor]


# Enrol (lock, INSERT … SELECT, watermark; savepoints), two exit UPDATEs, the drip mail
# left behind, steps, the due groups, per group: claim, tag INSERT, move; the next pass
# finishes the enrollments.
EXPECTED_RUN_QUERIES = {"sqlite": 19, "postgresql": 19}


def test_editing_a_sequence_keeps_its_steps_and_their_runs(segment):
    sequence = drip(segment, [{"kind": "wait", "wait_days": 1}, {"kind": "task", "task_title": "Call"}])
    step_ids = list(sequence.steps.order_by("position").values_list("pk", flat=True))
    sequence_save(
        sequence=sequence,
        steps=[{"kind": "wait", "wait_days": 2}, {"kind": "task", "task_title": "Call them"}],
        actor=None,
        name="Welcome drip",
    )
    assert list(SequenceStep.objects.order_by("position").values_list("pk", "wait_days")) == [
        (step_ids[0], 2),
        (step_ids[1], 0),
    ]


def test_beat_runs_the_engine_as_a_job_with_its_counts_in_the_log(segment, settings):
    from jobs.models import JobRun
    from marketing.tasks import sequences_run as sequences_run_task

    assert settings.CELERY_BEAT_SCHEDULE["marketing-sequences-run"]["task"] == "marketing.sequences_run"
    drip(segment, [{"kind": "wait", "wait_days": 1}])
    join(segment, CustomerFactory())
    assert sequences_run_task.apply().get()["enrolled"] == 1
    run = JobRun.objects.get(name="marketing.sequences_run")
    assert run.status == JobRun.Status.SUCCEEDED and run.counts["enrolled"] == 1
