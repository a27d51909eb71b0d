"""Drip mail goes the campaigns' way: the locked-down merge engine per customer, the
unsubscribe footer and one-click headers, a stable Message-ID, consent judged at
send time, and exactly once (the unique run row, then a claim before sending)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.urls import reverse

from customers.models import ConsentEvent, Customer
from customers.tests.factories import CustomerFactory
from marketing.models import EmailTemplate, Segment, SegmentMember, Sequence, SequenceStep, SequenceStepRun
from marketing.services import sequences
from marketing.services.sequences import sequence_save, sequences_run

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
LATER = START + timedelta(minutes=1)


@pytest.fixture
def segment(db):
    return Segment.objects.create(name="Newcomers", kind=Segment.Kind.STATIC)


def drip(segment, template):
    return sequence_save(
        sequence=Sequence(),
        steps=[{"kind": "send", "template": template}],
        actor=None,
        name="Welcome drip",
        trigger=Sequence.Trigger.JOINS_SEGMENT,
        segment=segment,
        is_active=True,
    )


def template_with(**fields):
    values = {"name": "Welcome", "subject": "Hi {{ first_name }}", "html": "<p>Hi {{ first_name }}</p>", "text": ""}
    return EmailTemplate.objects.create(**(values | fields))


def enrolled(segment, template, time_machine, **customer_fields):
    """A drip with one send step and one opted-in member, enrolled but not yet sent."""
    time_machine.move_to(START, tick=False)
    drip(segment, template)
    fields = {"email_consent": Customer.Consent.OPTED_IN, **customer_fields}
    customer = CustomerFactory(**fields)
    SegmentMember.objects.create(segment=segment, customer=customer)
    time_machine.move_to(LATER, tick=False)
    return customer


def claim_without_sending(segment):
    """What a run does up to its crash: the step's rows committed pending, nothing mailed."""
    step = SequenceStep.objects.get()
    sequences._enrol(sequence=step.sequence, now=LATER)
    enrollments = step.sequence.enrollments.all()
    return sequences.step_run(step=step, enrollments=enrollments, now=LATER)


# --- the campaigns' rendering and headers ---------------------------------------------------------
def test_a_drip_mail_is_rendered_by_the_merge_engine_with_defaults_and_escaped_html(segment, time_machine):
    template = template_with(
        subject='Hello {{ first_name|default:"friend" }} from {{ company|default:"us" }}',
        html="<p>Dear {{ full_name }}, your code is {{ code }}.</p>",
        text="Dear {{ full_name }}, your code is {{ code }}.",
    )
    enrolled(segment, template, time_machine, first_name="", last_name="<b>Bold</b>", custom_data={"code": "A&B"})
    sequences_run()
    [message] = mail.outbox
    assert message.subject == "Hello friend from us"
    html = message.alternatives[0][0]
    assert "&lt;b&gt;Bold&lt;/b&gt;" in html and "<b>Bold" not in html and "A&amp;B" in html
    assert "Dear <b>Bold</b>, your code is A&B." in message.body  # text is not escaped


def test_a_drip_mail_without_an_unsubscribe_link_gets_the_footer_and_the_one_click_headers(
    segment, time_machine, settings
):
    settings.MARKETING_FROM_EMAIL = "news@shop.example"
    enrolled(segment, template_with(), time_machine)
    sequences_run()
    [message] = mail.outbox
    run = SequenceStepRun.objects.get()
    unsubscribe = message.extra_headers["List-Unsubscribe"].strip("<>")
    assert unsubscribe.startswith("http://") and "/marketing/u/" in unsubscribe
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert f'href="{unsubscribe}"' in message.alternatives[0][0] and unsubscribe in message.body
    assert message.extra_headers["Message-ID"] == run.message_id == f"<seq-{run.pk}@{settings.MARKETING_EMAIL_DOMAIN}>"
    assert message.from_email == "news@shop.example"
    assert (run.status, run.email, run.attempts) == ("sent", message.to[0], 1) and run.sent_at == LATER


def test_a_drip_template_with_its_own_unsubscribe_link_gets_no_second_one(segment, time_machine):
    template = template_with(html='<p>Hi</p><p><a href="{{ unsubscribe_url }}">Stop these</a></p>')
    enrolled(segment, template, time_machine)
    sequences_run()
    html = mail.outbox[0].alternatives[0][0]
    assert html.count("/marketing/u/") == 1 and "Stop these" in html and ">Unsubscribe<" not in html


def test_the_unsubscribe_link_of_a_drip_mail_asks_on_get_and_opts_out_on_post(client, segment, time_machine):
    customer = enrolled(segment, template_with(), time_machine)
    sequences_run()
    path = mail.outbox[0].extra_headers["List-Unsubscribe"].strip("<>").split("://", 1)[1].split("/", 1)[1]

    assert client.get(f"/{path}").status_code == 200
    customer.refresh_from_db()
    assert customer.email_consent == Customer.Consent.OPTED_IN  # a link scanner's GET changes nothing

    response = client.post(f"/{path}", {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.email_consent == Customer.Consent.OPTED_OUT
    assert ConsentEvent.objects.get(customer=customer).source == ConsentEvent.Source.UNSUBSCRIBE


def test_a_tampered_drip_unsubscribe_token_is_not_found(client, segment, time_machine):
    enrolled(segment, template_with(), time_machine)
    sequences_run()
    url = mail.outbox[0].extra_headers["List-Unsubscribe"].strip("<>")
    token = url.rstrip("/").rsplit("/", 1)[1]
    assert client.get(reverse("marketing:unsubscribe", args=[token[:-2] + "xx"])).status_code == 404


# --- consent at send time ----------------------------------------------------------------------
def test_a_customer_who_opted_out_since_enrolling_is_exited_and_never_mailed(segment, time_machine):
    customer = enrolled(segment, template_with(), time_machine)
    sequences._enrol(sequence=Sequence.objects.get(), now=LATER)
    Customer.objects.filter(pk=customer.pk).update(email_consent=Customer.Consent.OPTED_OUT)
    sequences_run()
    assert mail.outbox == []


def test_a_customer_who_opted_out_between_the_claim_and_the_send_is_skipped(segment, time_machine):
    customer = enrolled(segment, template_with(), time_machine)
    run_ids = claim_without_sending(segment)
    Customer.objects.filter(pk=customer.pk).update(email_consent=Customer.Consent.OPTED_OUT)

    counts = sequences.sequence_mail_send(run_ids=run_ids)

    assert mail.outbox == [] and counts["skipped"] == 1
    assert SequenceStepRun.objects.get().status == SequenceStepRun.Status.SKIPPED


def test_a_customer_whose_consent_is_no_longer_opted_in_is_skipped_by_the_engine(segment, time_machine):
    # "Not asked" is not opted in; such a customer is not exited (only opt-outs are), but not mailed either.
    customer = enrolled(segment, template_with(), time_machine)
    sequences._enrol(sequence=Sequence.objects.get(), now=LATER)
    Customer.objects.filter(pk=customer.pk).update(email_consent=Customer.Consent.UNKNOWN)
    result = sequences_run()
    assert mail.outbox == [] and result["mailed"] == 0
    assert SequenceStepRun.objects.get().status == SequenceStepRun.Status.SKIPPED


# --- exactly once -----------------------------------------------------------------------------
def test_sending_the_same_claimed_rows_again_mails_nobody_twice(segment, time_machine):
    enrolled(segment, template_with(), time_machine)
    run_ids = claim_without_sending(segment)
    assert sequences.sequence_mail_send(run_ids=run_ids)["sent"] == 1
    assert sequences.sequence_mail_send(run_ids=run_ids)["sent"] == 0  # a retried task
    assert sequences_run()["mailed"] == 0
    assert len(mail.outbox) == 1


def test_a_retried_step_claims_nobody_again(segment, time_machine):
    enrolled(segment, template_with(), time_machine)
    first = claim_without_sending(segment)
    step = SequenceStep.objects.get()
    step.sequence.enrollments.update(next_position=1)  # as if the move on were lost and the step ran again
    again = sequences.step_run(step=step, enrollments=step.sequence.enrollments.all(), now=LATER)
    assert len(first) == 1 and again == []
    assert SequenceStepRun.objects.count() == 1


def test_a_run_that_died_after_claiming_is_mailed_once_after_the_lease_with_the_same_message_id(
    segment, time_machine, settings
):
    enrolled(segment, template_with(), time_machine)
    run_ids = claim_without_sending(segment)
    assert sequences.sequence_mail_claim(run_ids=run_ids) == run_ids  # claimed, then the process died
    message_id = SequenceStepRun.objects.get().message_id

    assert sequences_run()["mailed"] == 0  # within the lease: someone may still be sending it
    time_machine.move_to(LATER + timedelta(seconds=settings.MARKETING_SEND_LEASE_S + 1), tick=False)
    assert sequences_run()["mailed"] == 1
    assert sequences_run()["mailed"] == 0
    [message] = mail.outbox
    assert message.extra_headers["Message-ID"] == message_id


# --- a real SMTP server -------------------------------------------------------------------------
def test_drip_mail_reaches_a_real_smtp_server_with_its_headers(segment, time_machine, smtp_sink):
    customer = enrolled(segment, template_with(), time_machine)
    assert sequences_run()["mailed"] == 1
    [received] = smtp_sink.received
    assert received.recipients == (customer.email,)
    assert received.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert received.message_id == SequenceStepRun.objects.get().message_id


def test_a_5xx_answer_bounces_the_drip_row_and_a_4xx_answer_is_tried_again_after_the_backoff(
    segment, time_machine, smtp_sink, settings
):
    bounced = enrolled(segment, template_with(), time_machine)
    later = CustomerFactory(email_consent=Customer.Consent.OPTED_IN)
    SegmentMember.objects.create(segment=segment, customer=later)
    smtp_sink.handler.answers = {bounced.email: "550 5.1.1 No such user", later.email: "451 4.7.1 Try again later"}

    sequences_run()

    rows = {row.customer_id: row for row in SequenceStepRun.objects.all()}
    assert rows[bounced.pk].status == "bounced" and rows[bounced.pk].error.startswith("550")
    assert rows[later.pk].status == "pending" and rows[later.pk].error.startswith("451")
    smtp_sink.handler.answers = {}
    assert sequences_run()["mailed"] == 0  # the backoff has not passed
    time_machine.move_to(LATER + timedelta(seconds=settings.MARKETING_RETRY_BACKOFF_S + 1), tick=False)
    assert sequences_run()["mailed"] == 1
    assert smtp_sink.addresses() == [later.email]


def test_a_mail_server_outage_leaves_the_drip_rows_pending_for_the_next_run(segment, time_machine, smtp_sink):
    customer = enrolled(segment, template_with(), time_machine)
    smtp_sink.stop()
    assert sequences_run()["mailed"] == 0
    assert SequenceStepRun.objects.get().status == "pending"
    smtp_sink.start()
    assert sequences_run()["mailed"] == 1
    assert smtp_sink.addresses() == [customer.email]
