"""Beat and a real worker run the escalation job from CELERY_BEAT_SCHEDULE (CI, Redis)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Notification
from jobs.models import JobRun
from jobs.tests.worker import running_worker, wait_for
from support.models import SlaRule, SlaRuleFiring
from support.tests.factories import TicketFactory


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_beat_and_a_real_worker_escalate_a_breach_once_and_log_the_run(tmp_path, queue, agent):
    ticket = TicketFactory(
        queue=queue, status="open", assignee=agent, resolution_due=timezone.now() - timedelta(minutes=5)
    )
    SlaRule.objects.create(name="Overdue", when="breach", target="resolution", action="notify")

    # The settings' beat entry, every second instead of every minute.
    with running_worker(tmp_path, beat=True, env={"SUPPORT_ESCALATE_SECONDS": "1"}):
        job = wait_for(
            lambda: JobRun.objects.filter(
                name="support.sla_escalate", status=JobRun.Status.SUCCEEDED, counts__fired=1
            ).first(),
            seconds=60,
        )
        log = (tmp_path / "worker.log").read_text()
        assert job is not None, "beat did not run the escalation job within 60 s:\n" + log[-3000:]
        later = wait_for(
            lambda: (
                JobRun.objects.filter(name="support.sla_escalate", status=JobRun.Status.SUCCEEDED)
                .exclude(pk=job.pk)
                .first()
            ),
            seconds=30,
        )

    assert job.trigger == JobRun.Trigger.SCHEDULE
    assert later is not None and later.counts["fired"] == 0  # beat ran it again; the rule did not fire twice
    assert SlaRuleFiring.objects.get().ticket == ticket
    assert Notification.objects.get(user=agent).url == f"/support/tickets/{ticket.pk}/"
