"""Trigram indexes so that the ticket list's `?q=` (icontains on the subject and
the message bodies) uses an index on PostgreSQL. As customers' 0002: Django's
icontains compares UPPER(column), so the indexes are on UPPER(column) with
gin_trgm_ops; SQLite has no equivalent and scans."""

from django.db import migrations

SEARCHED = [
    ("support_ticket", "subject"),
    ("support_ticketmessage", "body"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for table, column in SEARCHED:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS {table}_{column}_trgm ON {table} USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, column in SEARCHED:
        schema_editor.execute(f"DROP INDEX IF EXISTS {table}_{column}_trgm")


class Migration(migrations.Migration):
    dependencies = [("support", "0002_general_queue")]

    operations = [migrations.RunPython(create, drop)]
