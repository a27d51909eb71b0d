"""The default RFM segment map of the issue, and the nightly scoring run (editable in the admin)."""

from django.conf import settings
from django.db import migrations
from django.utils.translation import gettext_noop as _

# (position, pattern, name, what it means, suggested action, colour); later rows override earlier ones.
DEFAULT_SEGMENTS = [
    (10, "[1-2][1-2]", _("Hibernating"), _("Last ordered long ago and rarely."), _("Win back with a strong offer, or stop spending on them."), "#adb5bd"),
    (20, "[1-2][3-4]", _("At Risk"), _("Used to order often, but not for a long time."), _("Reach out personally with a reason to come back."), "#fd7e14"),
    (30, "[1-2]5", _("Can't Lose Them"), _("Among the most frequent buyers, now silent."), _("Call them: find out what changed before a competitor does."), "#dc3545"),
    (40, "3[1-2]", _("About to Sleep"), _("Average recency, few orders."), _("Share popular products and a limited-time discount."), "#ffc107"),
    (50, "33", _("Need Attention"), _("Middle of the road on recency and frequency."), _("Send a personal recommendation or a time-limited offer."), "#6f42c1"),
    (60, "[3-4][4-5]", _("Loyal Customers"), _("Order often and fairly recently."), _("Offer loyalty rewards and ask for reviews."), "#0d6efd"),
    (70, "41", _("Promising"), _("Recent first-time buyers."), _("Build the relationship: onboarding and a welcome offer."), "#20c997"),
    (80, "51", _("New Customers"), _("Ordered just now, for the first time."), _("Welcome them and make the second order easy."), "#0dcaf0"),
    (90, "[4-5][2-3]", _("Potential Loyalists"), _("Recent buyers who have ordered a few times."), _("Offer a membership or recommend related products."), "#6610f2"),
    (100, "5[4-5]", _("Champions"), _("Ordered recently and most often."), _("Reward them, ask for referrals, try new products on them."), "#198754"),
]


def create_defaults(apps, schema_editor):
    segment_model = apps.get_model("analytics", "RfmSegment")
    for position, pattern, name, meaning, action, color in DEFAULT_SEGMENTS:
        segment_model.objects.get_or_create(
            name=name,
            defaults={"position": position, "pattern": pattern, "meaning": meaning, "action": action, "color": color},
        )
    crontab_model = apps.get_model("django_celery_beat", "CrontabSchedule")
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    schedule, _created = crontab_model.objects.get_or_create(
        minute="30", hour="2", day_of_week="*", day_of_month="*", month_of_year="*", timezone=settings.TIME_ZONE
    )
    task_model.objects.get_or_create(
        name="analytics-rfm-nightly",
        defaults={
            "task": "analytics.rfm_score",
            "crontab": schedule,
            "kwargs": "{}",
            "description": "RFM scoring of every customer, as of today. Set window_days in the keyword arguments.",
        },
    )


def remove_nightly_run(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name="analytics-rfm-nightly").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_defaults, remove_nightly_run)]
