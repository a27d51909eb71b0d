"""Run RFM scoring now, in this process (the same service as the nightly job)."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from analytics.forms import MAX_WINDOW_DAYS
from analytics.models import RfmRun
from analytics.services import rfm_score_run


class Command(BaseCommand):
    help = "Score every customer with a paid order (RFM) and store the run."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", help="YYYY-MM-DD; orders before this date count (default: today).")
        parser.add_argument("--window-days", type=int, help="Only orders in the N days before the as-of date.")

    def handle(self, *args, as_of, window_days, **options):
        try:
            day = date.fromisoformat(as_of) if as_of else None
        except ValueError as error:
            raise CommandError(f"--as-of must be a date like 2026-01-31, not {as_of!r}.") from error
        if window_days is not None and not 1 <= window_days <= MAX_WINDOW_DAYS:
            raise CommandError(f"--window-days must be between 1 and {MAX_WINDOW_DAYS}.")
        run = rfm_score_run(as_of=day, window_days=window_days, trigger=RfmRun.Trigger.COMMAND)
        self.stdout.write(
            f"RFM run {run.pk} as of {run.as_of}: {run.n_scored} customers scored in {run.duration_ms} ms."
        )
