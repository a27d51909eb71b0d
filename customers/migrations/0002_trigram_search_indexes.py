"""Trigram indexes so that `icontains` searches use an index on PostgreSQL.

Django's icontains on PostgreSQL compares UPPER(column), so the indexes are on
UPPER(column) with gin_trgm_ops. SQLite has no equivalent; there the search
falls back to a scan, which is fine for the embedded first-run set-up.
"""

from django.db import migrations

SEARCHED = [
    ("customers_customer", "first_name"),
    ("customers_customer", "last_name"),
    ("customers_customer", "email"),
    ("customers_customer", "phone_normalized"),
    ("customers_customer", "external_ref"),
    ("customers_company", "name"),
    ("customers_company", "domain"),
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
    dependencies = [("customers", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
