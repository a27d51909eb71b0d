"""SLA escalation: rules fire once per ticket, set-based, and notify, reassign or raise the priority."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import roles
from accounts.models import Notification
from accounts.tests.factories import UserFactory
from support.models import SlaRule, SlaRuleFiring, Ticket, TicketEvent
from support.services.escalation import sla_escalate
from support.tasks import sla_escalate as sla_escalate_task
from support.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

NOW = timezone.now().replace(microsecond=0)


def rule(**fields) -> SlaRule:
    values = {"name": "Overdue", "when": "breach", "target": "resolution", "action": "notify"} | fields
    return SlaRule.objects.create(**values)


def overdue(queue, minutes=5, **fields):
    fields = {"status": "open"} | fields
    return TicketFactory(queue=queue, resolution_due=NOW - timedelta(minutes=minutes), **fields)


def test_a_breach_notifies_the_assignee_and_the_queue_teams_manager_once(queue, agent, manager):
    ticket = overdue(queue, assignee=agent, subject="Printer on fire")
    breach = rule(name="Resolution overdue")

    first = sla_escalate(now=NOW)
    second = sla_escalate(now=NOW + timedelta(minutes=1))

    assert first == {"rules": 1, "fired": 1, "notified": 2, "reassigned": 0, "raised": 0}
    assert second["fired"] == 0
    notes = {note.user: note for note in Notification.objects.all()}
    assert set(notes) == {agent, manager}
    assert notes[agent].text == f"Resolution overdue on ticket #{ticket.pk} Printer on fire (rule “Resolution overdue”)"
    assert notes[agent].url == f"/support/tickets/{ticket.pk}/"
    assert SlaRuleFiring.objects.get().ticket == ticket
    event = TicketEvent.objects.get(ticket=ticket, action="escalated")
    assert event.data["rule"] == breach.pk and event.actor is None


def test_an_unassigned_ticket_notifies_only_the_manager_and_an_assignee_who_manages_gets_one(queue, manager):
    unassigned = overdue(queue)
    own = overdue(queue, assignee=manager)
    rule()

    sla_escalate(now=NOW)

    assert sorted(Notification.objects.values_list("user__username", "text")) == sorted(
        [("maria", f"Resolution overdue on ticket #{t.pk} {t.subject} (rule “Overdue”)") for t in (unassigned, own)]
    )


def test_a_near_breach_rule_fires_only_within_its_minutes_before_the_due_time(queue):
    soon = TicketFactory(queue=queue, resolution_due=NOW + timedelta(minutes=10))
    TicketFactory(queue=queue, resolution_due=NOW + timedelta(minutes=45))
    overdue(queue)
    TicketFactory(queue=queue)  # no clock
    rule(when="near", minutes_before=30)

    assert sla_escalate(now=NOW)["fired"] == 1
    assert list(SlaRuleFiring.objects.values_list("ticket", flat=True)) == [soon.pk]


def test_first_response_rules_skip_answered_tickets(queue):
    waiting = TicketFactory(queue=queue, first_response_due=NOW - timedelta(minutes=1))
    TicketFactory(queue=queue, first_response_due=NOW - timedelta(minutes=1), first_responded_at=NOW)
    rule(target="first_response")

    assert sla_escalate(now=NOW)["fired"] == 1
    assert SlaRuleFiring.objects.get().ticket == waiting


def test_paused_solved_and_closed_tickets_never_escalate(queue):
    overdue(queue, status="pending", sla_paused_at=NOW - timedelta(hours=1))
    overdue(queue, status="solved", solved_at=NOW)
    overdue(queue, status="closed")
    rule()

    assert sla_escalate(now=NOW)["fired"] == 0


def test_a_rule_for_one_queue_leaves_other_queues_alone_and_an_inactive_rule_does_nothing(queue, other_queue):
    mine = overdue(queue)
    overdue(other_queue)
    rule(queue=queue)
    rule(name="Switched off", is_active=False)

    assert sla_escalate(now=NOW)["rules"] == 1
    assert SlaRuleFiring.objects.get().ticket == mine


def test_raising_the_priority_moves_one_step_keeps_urgent_and_the_due_times(queue):
    low, high, urgent = (overdue(queue, priority=p) for p in ("low", "high", "urgent"))
    rule(action="raise_priority")

    assert sla_escalate(now=NOW)["raised"] == 2

    assert [Ticket.objects.get(pk=t.pk).priority for t in (low, high, urgent)] == ["normal", "urgent", "urgent"]
    assert Ticket.objects.get(pk=low.pk).resolution_due == low.resolution_due
    events = dict(TicketEvent.objects.filter(action="escalated").values_list("ticket", "new_value"))
    assert events == {low.pk: "normal", high.pk: "urgent", urgent.pk: "urgent"}
    assert TicketEvent.objects.get(ticket=low, action="escalated").old_value == "low"


def test_reassigning_hands_the_tickets_to_the_rules_agent_or_back_to_the_queue(queue, agent):
    backup = UserFactory(username="bob", first_name="Bob", last_name="Backup", role=roles.SUPPORT_AGENT)
    first = overdue(queue, assignee=agent)
    rule(action="reassign", reassign_to=backup)
    rule(name="Near", when="near", action="reassign", reassign_to=None)
    second = TicketFactory(queue=queue, assignee=agent, resolution_due=NOW + timedelta(minutes=5))

    assert sla_escalate(now=NOW)["reassigned"] == 2

    assert Ticket.objects.get(pk=first.pk).assignee == backup
    assert Ticket.objects.get(pk=second.pk).assignee is None
    event = TicketEvent.objects.get(ticket=first, action="escalated")
    assert (event.old_value, event.new_value) == (str(agent), "Bob Backup")


def test_a_recipient_reads_the_notification_in_their_language(queue, agent):
    agent.language = "tr"
    agent.save(update_fields=["language"])
    ticket = overdue(queue, assignee=agent, subject="Yazıcı")
    rule(name="Gecikme")

    sla_escalate(now=NOW)

    text = Notification.objects.get(user=agent).text
    assert f"#{ticket.pk} Yazıcı" in text and "numaralı talepte çözüm süresi geçti" in text


@pytest.mark.parametrize("breaches", [3, 30])
def test_the_statement_count_does_not_grow_with_the_number_of_breaches(queue, agent, manager, breaches, request):
    for index in range(breaches):
        overdue(queue, minutes=index + 1, assignee=agent, priority="low")
    rule(name="Tell")
    rule(name="Raise", action="raise_priority")
    rule(name="Move", action="reassign", reassign_to=manager)
    rule(name="Warn", when="near", target="first_response")  # fires for none

    with CaptureQueriesContext(connection) as queries:
        counts = sla_escalate(now=NOW)

    assert counts["fired"] == 3 * breaches and counts["notified"] == 2 * breaches
    assert Notification.objects.count() == 2 * breaches
    # rules (1); per firing rule: savepoint, firings, events, action, release (5 each); the idle rule: 3
    assert len(queries) == 1 + 3 * 5 + 3


def test_the_task_returns_its_counts_for_the_job_log(queue):
    from jobs.models import JobRun

    overdue(queue)
    rule()

    result = sla_escalate_task.apply()

    assert result.get()["fired"] == 1
    run = JobRun.objects.get(name="support.sla_escalate")
    assert run.status == JobRun.Status.SUCCEEDED and run.counts["fired"] == 1


def test_the_command_prints_the_counts(queue, capsys):
    overdue(queue)
    rule(action="raise_priority")

    call_command("sla_escalate")

    assert "1 rules, 1 firings (0 notifications, 0 reassigned, 1 priorities raised)" in capsys.readouterr().out


def test_the_beat_schedule_runs_escalation_every_minute(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["support-sla-escalate"]
    assert entry == {"task": "support.sla_escalate", "schedule": 60}
