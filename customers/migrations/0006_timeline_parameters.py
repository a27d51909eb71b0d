"""Old customer and company entries: parameters parsed from their English summaries.

The patterns are the summaries the customers app wrote before entries stored
their parameters (frozen here: later wording changes do not belong in them).
The sales app's actions on this table are filled by sales' own migration.
"""

from django.db import migrations

from customers.timeline_backfill import backfill

OWNER = [r"Owner changed from (?P<from_name>.+) to (?P<to_name>.+)", r"Owner changed to (?P<to_name>.+)"]
PATTERNS = {
    "customer.created": [r"Created by the order import of (?P<file>.+)"],
    "customer.updated": [r"Changed (?P<fields>.+)"],
    "customer.reassigned": OWNER,
    "customer.tagged": [r"Tagged (?P<tag_name>.+)"],
    "customer.merged": [r"Merged with (?P<merged_name>.+) \(#\d+\)"],
    "customer.merged_away": [r"Merged into (?P<merged_into_name>.+) \(#\d+\)"],
    "attachment.added": [r"Attached (?P<file>.+)"],
    "company.created": [r"Company created \((?P<source>import)\)"],
    "company.updated": [r"Changed (?P<fields>.+)"],
}


def fill(apps, schema_editor):
    backfill(apps.get_model("customers", "Interaction"), PATTERNS)


class Migration(migrations.Migration):
    dependencies = [("customers", "0005_record_version")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop, elidable=True)]
