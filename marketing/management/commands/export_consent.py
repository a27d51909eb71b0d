"""manage.py export_consent --output FILE.csv: every live customer with an
email, as email,status,changed_at,source (status as stored: opted_in,
opted_out, unknown; source of the latest consent change). Streamed, so the
file can be as large as the customer table without holding it in memory."""

import csv

from django.core.management.base import BaseCommand

from marketing.selectors import consent

HEADER = ["email", "status", "changed_at", "source"]


class Command(BaseCommand):
    help = "Write every live customer's email consent to a CSV file."

    def add_arguments(self, parser):
        parser.add_argument("--output", required=True, help="The CSV file to write.")

    def handle(self, *args, output, **options):
        count = 0
        with open(output, "w", newline="", encoding="utf-8") as file:
            writer = csv.writer(file)
            writer.writerow(HEADER)
            for row in consent.consent_rows():
                writer.writerow(row)
                count += 1
        self.stdout.write(f"{count} customers written to {output}")
