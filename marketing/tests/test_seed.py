"""seed_demo's marketing part: the "Welcome" drip on the newsletter form, created once, and working."""

import io
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail

from customers.models import Customer
from customers.tests.factories import CustomerFactory
from marketing import seed
from marketing.models import FormSubmission, LeadForm, Sequence, SequenceStep
from marketing.services.sequences import sequences_run
from sales.models import Task

pytestmark = pytest.mark.django_db

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _seed() -> None:
    seed.seed_demo(customers=0, stdout=io.StringIO())


def test_seed_demo_adds_the_welcome_drip_on_the_newsletter_form_once():
    _seed()
    _seed()

    sequence = Sequence.objects.get()
    assert (sequence.name, sequence.trigger, sequence.is_active) == ("Welcome (demo)", "form", True)
    assert sequence.form == LeadForm.objects.get(slug="newsletter")
    steps = [(s.kind, s.wait_days) for s in SequenceStep.objects.filter(sequence=sequence)]
    assert steps == [("send", 0), ("wait", 3), ("tag", 0), ("wait", 7), ("task", 0)]
    assert SequenceStep.objects.count() == 5


def test_a_newsletter_subscriber_gets_the_welcome_mail_then_a_tag_then_a_task_for_their_owner(time_machine, owner):
    time_machine.move_to(START, tick=False)
    _seed()
    ann = CustomerFactory(
        first_name="Ann", email="ann@example.com", email_consent=Customer.Consent.OPTED_IN, owner=owner
    )
    FormSubmission.objects.create(form=LeadForm.objects.get(slug="newsletter"), data={"email": "ann@example.com"})

    sequences_run()
    assert [(m.to, m.subject) for m in mail.outbox] == [(["ann@example.com"], "Welcome, Ann")]
    assert mail.outbox[0].body.startswith("Hi Ann,")  # the text part, made from the HTML when seeded
    assert not ann.tags.exists()

    time_machine.move_to(START + timedelta(days=3, minutes=1), tick=False)
    sequences_run()
    assert list(ann.tags.values_list("name", flat=True)) == ["newsletter"]
    assert not Task.objects.exists()

    time_machine.move_to(START + timedelta(days=10, minutes=2), tick=False)
    sequences_run()
    sequences_run()
    task = Task.objects.get()
    assert (task.owner, task.customer) == (owner, ann)
    assert len(mail.outbox) == 1
