"""Old deal, order, task and lead entries: parameters parsed from their English summaries.

On the customer's timeline (customers.Interaction, which also holds the copies of
converted leads' timelines) and on the lead's (LeadActivity). The patterns are
the summaries written before entries stored their parameters, frozen here.
"""

from django.db import migrations

from customers.timeline_backfill import backfill

OWNER = [r"Owner changed from (?P<from_name>.+) to (?P<to_name>.+)", r"Owner changed to (?P<to_name>.+)"]
STAGE = [r"Deal “(?P<title>.+)”: (?P<from_name>.+) → (?P<to_name>.+)"]
PATTERNS = {
    "deal.created": [r"Deal “(?P<title>.+)” opened"],
    "deal.updated": [r"Deal “(?P<title>.+)”: changed (?P<fields>.+)"],
    "deal.stage_changed": STAGE,
    "deal.won": STAGE,
    "deal.lost": STAGE,
    "deal.product_added": [r"Deal “(?P<title>.+)”: added (?P<line>.+)"],
    "deal.product_removed": [r"Deal “(?P<title>.+)”: removed (?P<line>.+)"],
    "order.created": [
        r"Order (?P<ref>.+) created from the won deal “(?P<title>.+)”: (?P<total>[-\d.]+) (?P<currency>[A-Z]{3})"
    ],
    "task.created": [r"Task “(?P<title>.+)” created"],
    "task.updated": [r"Task “(?P<title>.+)”: changed (?P<fields>.+)"],
    "task.completed": [r"Task “(?P<title>.+)” done"],
    "task.reopened": [r"Task “(?P<title>.+)” reopened"],
    "lead.updated": [r"Changed (?P<fields>.+)"],
    "lead.assigned": [
        r"Assigned to (?P<to_name>.+) by the rule “(?P<rule_name>.+)”",
        r"Assigned to (?P<to_name>.+) \(no rule matched\)",
    ],
    "lead.reassigned": OWNER,
    # The customer's entry names the lead, the lead's entry the customer.
    "lead.converted": [r"Converted from lead (?P<lead_name>.+)", r"Converted to (?P<customer_name>.+)"],
}


def fill(apps, schema_editor):
    backfill(apps.get_model("customers", "Interaction"), PATTERNS)
    backfill(apps.get_model("sales", "LeadActivity"), PATTERNS)


class Migration(migrations.Migration):
    dependencies = [("sales", "0006_record_version"), ("customers", "0006_timeline_parameters")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop, elidable=True)]
