"""Read the support mailboxes now, in this process (the same service as the job beat runs every minute)."""

from django.core.management.base import BaseCommand, CommandError

from support.services.imap import MailboxError, mailboxes_fetch


class Command(BaseCommand):
    help = "Fetch unseen mail from every active support mailbox (IMAP) and ingest it."

    def handle(self, *args, **options):
        try:
            counts = mailboxes_fetch()
        except MailboxError as error:
            raise CommandError(str(error)) from error
        summary = ", ".join(f"{outcome} {number}" for outcome, number in sorted(counts.items())) or "no new mail"
        self.stdout.write(f"Fetched: {summary}.")
