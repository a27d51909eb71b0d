"""The queue every ticket can land in, and office hours for its SLA clocks."""

from django.conf import settings
from django.db import migrations

WEEKDAYS_9_TO_5 = {str(day): [["09:00", "17:00"]] for day in range(5)}


def create_general_queue(apps, schema_editor):
    BusinessCalendar = apps.get_model("support", "BusinessCalendar")
    Queue = apps.get_model("support", "Queue")
    calendar, _ = BusinessCalendar.objects.get_or_create(
        name="Office hours", defaults={"time_zone": settings.TIME_ZONE, "weekly_hours": WEEKDAYS_9_TO_5}
    )
    Queue.objects.get_or_create(slug="general", defaults={"name": "General", "calendar": calendar})


class Migration(migrations.Migration):
    dependencies = [("support", "0001_initial")]

    operations = [migrations.RunPython(create_general_queue, migrations.RunPython.noop)]
