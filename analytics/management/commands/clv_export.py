"""Write one CSV row per scored customer of a CLV run (the latest by default)."""

import csv

from django.core.management.base import BaseCommand, CommandError

from analytics.models import ClvRun
from analytics.selectors.clv import clv_scores_of
from analytics.selectors.clv_export import EXPORT_COLUMNS, clv_export_rows


class Command(BaseCommand):
    help = "Export a CLV run's scores: " + ", ".join(EXPORT_COLUMNS) + " (recency and T in the run's unit)."

    def add_arguments(self, parser):
        parser.add_argument("--run", type=int, help="Run id (default: the latest finished run).")
        parser.add_argument("--output", required=True, help="CSV file to write.")

    def handle(self, *args, run, output, **options):
        finished = ClvRun.objects.filter(finished_at__isnull=False)
        chosen = finished.filter(pk=run).first() if run else finished.order_by("-pk").first()
        if chosen is None:
            raise CommandError(f"There is no CLV run {run}." if run else "There is no CLV run yet: run clv_fit.")
        if not chosen.scores_kept:
            raise CommandError(f"Run {chosen.pk} keeps only its figures; its scores were pruned.")
        written = 0
        with open(output, "w", newline="", encoding="utf-8") as file:
            writer = csv.writer(file)
            writer.writerow(EXPORT_COLUMNS)
            for row in clv_export_rows(clv_scores_of(chosen.pk)):
                writer.writerow(row)
                written += 1
        self.stdout.write(f"Wrote {written} rows of CLV run {chosen.pk} to {output}.")
