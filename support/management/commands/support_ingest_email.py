"""Feed one RFC 822 message to the support inbox: a file, or stdin from an MTA
pipe (for example in /etc/aliases: `support: "|/srv/crm/manage.py support_ingest_email -"`)."""

import sys

from django.core.management.base import BaseCommand, CommandError

from support.models import InboundEmail, Queue
from support.services.inbound import email_ingest


class Command(BaseCommand):
    help = "Ingest one email (a file, or - for stdin) into the support queues and print the outcome."

    def add_arguments(self, parser):
        parser.add_argument("file", help="Path to an .eml file, or - to read the message from stdin.")
        parser.add_argument("--queue", help="Slug of the queue a new ticket opens in (default: by address).")

    def handle(self, *args, file, queue, **options):
        target = None
        if queue:
            target = Queue.objects.filter(slug=queue).first()
            if target is None:
                raise CommandError(f"No queue with the slug {queue!r}.")
        raw = self._read(file)
        row = email_ingest(raw=raw, queue=target, source="pipe")
        if row.outcome == InboundEmail.Outcome.REJECTED:
            # One line on stderr and exit 1: an MTA bounces or defers on a non-zero status.
            raise CommandError(f"Inbound email {row.pk} rejected: {row.reason}", returncode=1)
        ticket = f" ticket #{row.ticket_id}" if row.ticket_id else ""
        self.stdout.write(f"Inbound email {row.pk}: {row.outcome}{ticket} ({row.reason})")

    def _read(self, file: str) -> bytes:
        if file == "-":
            return sys.stdin.buffer.read()
        try:
            with open(file, "rb") as handle:
                return handle.read()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}") from error
