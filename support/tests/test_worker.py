"""Support mail with a real Celery worker against Redis (CI): an agent's reply is
queued as `support.outbound_send`, the worker sends it once through SMTP to a sink
this test runs, and a redelivered task does not send it again."""

import pytest

from customers.tests.factories import CustomerFactory
from jobs.models import JobRun
from jobs.services import job_enqueue, registered_task
from jobs.tests.worker import finished, running_worker, wait_for
from support.models import OutboundEmail
from support.services import tickets
from support.tests.factories import QueueFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_reply_is_sent_once_by_a_real_worker_even_when_its_task_is_delivered_again(
    smtp_sink, tmp_path, agent, settings
):
    settings.MEDIA_ROOT = tmp_path / "media"
    queue = QueueFactory(slug="help", inbound_address="help@example-crm.test")
    ticket = tickets.ticket_open(
        customer=CustomerFactory(email="kim@example.com"), queue=queue, subject="Printer on fire",
        body="Help", channel="email", message_fields={"message_id": "first@example.com"},
    )  # fmt: skip

    with running_worker(tmp_path, broker="redis", env={"CRM_TEST_EMAIL_URL": smtp_sink.url}):
        reply = tickets.ticket_reply(ticket=ticket, actor=agent, body="On its way")  # commits: the task is sent
        row = OutboundEmail.objects.get(ticket_message=reply)
        run = JobRun.objects.get(name="support.outbound_send", kwargs={"outbound_id": row.pk})
        assert wait_for(finished(run), seconds=30), "the worker did not send the reply"
        assert run.status == JobRun.Status.SUCCEEDED, run.error

        # Redis hands the same message out again (a worker lost its ack), and someone queues the row again.
        registered_task("support.outbound_send").apply_async(kwargs=run.kwargs, task_id=run.task_id)
        again = job_enqueue(task="support.outbound_send", kwargs={"outbound_id": row.pk})
        assert wait_for(finished(again), seconds=30), "the worker did not run the second task"

    assert len(smtp_sink.received) == 1
    received = smtp_sink.received[0]
    sent = received.message
    assert received.recipients == ("kim@example.com",) and sent["Message-ID"] == f"<{reply.message_id}>"
    assert sent["In-Reply-To"] == "<first@example.com>" and "On its way" in sent.get_content()
    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutboundEmail.Status.SENT, 1)
    assert (run.counts, again.counts) == ({"sent": 1}, {"sent": 0})
    assert JobRun.objects.filter(task_id=run.task_id).count() == 1
