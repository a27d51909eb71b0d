"""Trigram indexes for the global search (crm_project.search) on PostgreSQL.

Like customers/0002: Django's icontains and istartswith compare UPPER(column)
on PostgreSQL, so each index is on UPPER(column) with gin_trgm_ops; the same
index answers iexact (PostgreSQL 14+), but order references get a b-tree for that too. SQLite has none: there search scans.
"""

from django.db import migrations

SEARCHED = [
    ("sales_deal", "title"),
    ("sales_lead", "first_name"),
    ("sales_lead", "last_name"),
    ("sales_lead", "email"),
    ("sales_lead", "company_name"),
    ("sales_order", "order_ref"),
    ("sales_task", "title"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for table, column in SEARCHED:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS {table}_{column}_trgm ON {table} USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )
    # An exact reference is the search's most common question: a b-tree answers
    # it in a millisecond, where the trigram index reads every "SO-" row's entry.
    schema_editor.execute(
        'CREATE INDEX IF NOT EXISTS sales_order_order_ref_upper ON sales_order ((UPPER("order_ref"::text)))'
    )
    # Statistics on the indexed expressions: without them the planner guesses that
    # a rare reference matches thousands of rows and scans the table for them.
    for table in sorted({table for table, _column in SEARCHED}):
        schema_editor.execute(f"ANALYZE {table}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, column in SEARCHED:
        schema_editor.execute(f"DROP INDEX IF EXISTS {table}_{column}_trgm")
    schema_editor.execute("DROP INDEX IF EXISTS sales_order_order_ref_upper")


class Migration(migrations.Migration):
    dependencies = [("sales", "0004_config_history"), ("customers", "0002_trigram_search_indexes")]

    operations = [migrations.RunPython(create, drop)]
