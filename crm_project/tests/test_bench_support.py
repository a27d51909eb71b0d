"""bench_support generates tickets set-based and times the queue page and an escalation pass."""

import re

import pytest
from django.core.management import call_command

from support.models import SlaRule, Ticket, TicketEvent, TicketMessage

pytestmark = pytest.mark.django_db


def test_the_support_bench_generates_tickets_and_times_an_escalation_pass_whose_second_run_fires_nothing(capsys):
    call_command("bench_support", tickets=60, rounds=2)
    out = capsys.readouterr().out

    bench = Ticket.objects.filter(queue__slug="bench-support")
    assert bench.count() == 60
    assert set(bench.values_list("status", flat=True)) == {s.value for s in Ticket.Status}
    assert TicketMessage.objects.filter(ticket__in=bench).count() == 60 + bench.exclude(status="new").count()
    assert TicketEvent.objects.filter(ticket__in=bench, action="created").count() == 60
    first = re.search(r"escalation pass: [\d.]+ s, (\d+) statements for \d+ rules; ([\d,]+) firings", out)
    second = re.search(r"second pass \(nothing new\): [\d.]+ s, (\d+) statements for \d+ rules; 0 firings", out)
    assert first and int(first.group(2).replace(",", "")) > 10, out
    assert second, out
    assert "queue page" in out
    assert "floor in the same run:" in out and not SlaRule.objects.filter(name="Bench: floor").exists()  # rolled back

    call_command("bench_support", tickets=60, rounds=2)  # kept: not generated again
    assert "generate" not in capsys.readouterr().out and bench.count() == 60
