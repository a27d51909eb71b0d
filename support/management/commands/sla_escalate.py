"""Run the SLA escalation rules now, in this process (the same service as the beat job)."""

from django.core.management.base import BaseCommand

from support.services.escalation import sla_escalate


class Command(BaseCommand):
    help = "Fire the SLA escalation rules (near breach and breach), each once per ticket, and print the counts."

    def handle(self, *args, **options):
        counts = sla_escalate()
        self.stdout.write(
            "SLA escalation: {rules} rules, {fired} firings ({notified} notifications, "
            "{reassigned} reassigned, {raised} priorities raised).".format(**counts)
        )
