"""The weekly CLV fit (editable in the admin): Mondays at 03:30, after the nightly RFM run."""

from django.conf import settings
from django.db import migrations


def create_weekly_fit(apps, schema_editor):
    crontab_model = apps.get_model("django_celery_beat", "CrontabSchedule")
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    schedule, _created = crontab_model.objects.get_or_create(
        minute="30", hour="3", day_of_week="1", day_of_month="*", month_of_year="*", timezone=settings.TIME_ZONE
    )
    task_model.objects.get_or_create(
        name="analytics-clv-weekly",
        defaults={
            "task": "analytics.clv_fit",
            "crontab": schedule,
            "kwargs": "{}",
            "description": (
                "Customer lifetime value: fit BG/NBD and Gamma-Gamma to today and score every buyer. "
                'Keyword arguments: unit ("days" or "weeks"), horizon (in the unit), penalizer.'
            ),
        },
    )


def remove_weekly_fit(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name="analytics-clv-weekly").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0005_clvscore_customer_query_name"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_weekly_fit, remove_weekly_fit)]
