"""`Ticket.sla_next_due`: the next due time of a running SLA clock, a stored column
the database computes (ALTER TABLE fills it for existing rows in the same statement,
so there is no separate backfill), and a partial index for the lists' default order."""

import django.db.models.functions.comparison
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('support', '0003_ticket_search_trigram'),
    ]

    operations = [
        migrations.AddField(
            model_name='ticket',
            name='sla_next_due',
            field=models.GeneratedField(db_persist=True, expression=models.Case(models.When(models.Q(('sla_paused_at__isnull', True), ('status__in', ['new', 'open', 'on_hold'])), then=django.db.models.functions.comparison.Least(django.db.models.functions.comparison.Coalesce(models.Case(models.When(first_responded_at__isnull=True, then=models.F('first_response_due'))), models.F('resolution_due')), django.db.models.functions.comparison.Coalesce(models.F('resolution_due'), models.Case(models.When(first_responded_at__isnull=True, then=models.F('first_response_due'))))))), output_field=models.DateTimeField(null=True)),
        ),
        migrations.AddIndex(
            model_name='ticket',
            index=models.Index(condition=models.Q(('status__in', ['new', 'on_hold', 'open', 'pending'])), fields=['sla_next_due', 'created_at', 'id'], name='ticket_sla_next_due_idx'),
        ),
    ]
