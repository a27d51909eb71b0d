"""Write one CSV row per scored customer of an RFM run (the latest by default)."""

import csv

from django.core.management.base import BaseCommand, CommandError

from analytics.models import RfmRun
from analytics.selectors.rfm import EXPORT_COLUMNS, rfm_export_rows, rfm_scores_of


class Command(BaseCommand):
    help = "Export an RFM run's scores: " + ", ".join(EXPORT_COLUMNS) + "."

    def add_arguments(self, parser):
        parser.add_argument("--run", type=int, help="Run id (default: the latest run).")
        parser.add_argument("--output", required=True, help="CSV file to write.")

    def handle(self, *args, run, output, **options):
        chosen = RfmRun.objects.filter(pk=run).first() if run else RfmRun.objects.order_by("-pk").first()
        if chosen is None:
            raise CommandError(f"There is no RFM run {run}." if run else "There is no RFM run yet: run rfm_score.")
        if not chosen.scores_kept:
            raise CommandError(f"Run {chosen.pk} keeps only its summary; its scores were pruned.")
        written = 0
        with open(output, "w", newline="", encoding="utf-8") as file:
            writer = csv.writer(file)
            writer.writerow(EXPORT_COLUMNS)
            for row in rfm_export_rows(rfm_scores_of(run_id=chosen.pk)):
                writer.writerow(row)
                written += 1
        self.stdout.write(f"Wrote {written} rows of run {chosen.pk} to {output}.")
