"""`manage.py refresh_segments [--segment ID]`: refresh every dynamic segment now, or one segment."""

import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from marketing.models import Segment
from marketing.services import segments


class Command(BaseCommand):
    help = "Refresh the members of every dynamic segment, or of one segment (--segment ID)."

    def add_arguments(self, parser):
        parser.add_argument("--segment", type=int, help="Only this segment (dynamic or static).")

    def handle(self, *args, segment=None, **options):
        chosen = Segment.objects.filter(pk=segment) if segment else Segment.objects.filter(kind=Segment.Kind.DYNAMIC)
        if segment and not chosen.exists():
            raise CommandError(f"No segment {segment}.")
        for each in chosen.order_by("pk"):
            started = time.monotonic()
            try:
                refreshed = segments.segment_refresh(segment=each)
            except ValidationError as error:
                self.stderr.write(f"{each.pk} {each.name}: not refreshed: {'; '.join(error.messages)}")
                continue
            seconds = time.monotonic() - started
            self.stdout.write(f"{each.pk} {each.name}: {refreshed.member_count} members in {seconds:.2f} s")
