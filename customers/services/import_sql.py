"""Writing the new customers of an import set-based on PostgreSQL (the import's writer, fast path).

The checked rows wait in import_checks_sql's CLEAN table. They get their ids from the
customers' sequence (in file order) in one more TEMP table, then each table is written with
one INSERT … SELECT: the customers, their tag links and their consent events (the import's
one timeline entry for all of them is the caller's). The rows are the ones the ORM path would
write, field for field; no Customer object is built per row. Updated customers keep the ORM
path (they are compared field by field with what is stored).
"""

from django.db import connection

from imports import sql

from ..models import ConsentEvent, Customer
from .import_checks_sql import CLEAN, COMPANY_KEYS, TAG_CELLS, VALUE_FIELDS

STAGING = "customers_import_new"
PEOPLE = "customers_import_people"  # owner cell -> owner id, team id (the importer's for a blank cell)
COMPANY_IDS = "customers_import_company_ids"
TAG_IDS = "customers_import_tag_ids"


def customers_insert_staged(*, actor, owners: dict, company_ids: dict, teams, tag_ids: dict, filename: str,
                            now) -> int:  # fmt: skip
    """Insert the new customers checked into CLEAN and everything that goes with them; return how many."""
    people = []
    for name, user in {"": None, **owners}.items():
        owner = user or actor
        team = teams.of(owner)
        people.append((name, owner.pk if owner else None, team.pk if team else None))
    sql.stage(name=PEOPLE, columns={"owner_name": "text", "owner_id": "bigint", "team_id": "bigint"}, rows=people)
    sql.stage(name=COMPANY_IDS, columns={"key": "text", "id": "bigint"}, rows=company_ids.items())
    sql.stage(name=TAG_IDS, columns={"key": "text", "id": "bigint"}, rows=tag_ids.items())
    with sql.settings(sql.CHECKING), connection.cursor() as cursor:  # its sort of every row in memory
        cursor.execute(f"DROP TABLE IF EXISTS {STAGING}")
        # The ids in file order: nextval() over the rows already sorted; STAGING is then read in that
        # order, so the INSERTs below need no ORDER BY (a sort of every row, each).
        cursor.execute(
            f"CREATE TEMP TABLE {STAGING} ON COMMIT DROP AS SELECT nextval(%s::regclass) AS id, q.* FROM ("  # noqa: S608 - our own tables
            f"SELECT s.*, p.owner_id, p.team_id, ci.id AS company_id FROM {CLEAN} s "
            f"JOIN {PEOPLE} p ON p.owner_name = s.owner_name "
            f"LEFT JOIN {COMPANY_KEYS} k ON k.company = s.company LEFT JOIN {COMPANY_IDS} ci ON ci.key = k.key "
            "WHERE s.match_id IS NULL ORDER BY s.row_number) q",
            [_sequence()],
        )
    consent = f"CASE WHEN s.consent <> '' THEN s.consent ELSE {_literal(Customer.Consent.UNKNOWN)} END"
    created = sql.insert_select(
        Customer,
        values={
            "id": "s.id", "owner": "s.owner_id", "team": "s.team_id", "company": "s.company_id",
            **{name: f"s.{name}" for name in VALUE_FIELDS},
            "lifecycle_stage": f"COALESCE(NULLIF(s.lifecycle_stage, ''), {_literal(Customer.Stage.LEAD)})",
            "phone_normalized": "s.phone_normalized", "custom_data": "s.custom_data",
            "email_consent": consent, "email_consent_at": f"CASE WHEN s.consent <> '' THEN {_literal(now)} END",
            "source": _literal(Customer.Source.IMPORT), "created_at": _literal(now),
        },
        source=f"{STAGING} s", now=now,
    )  # fmt: skip
    _insert_related(actor=actor, filename=filename, now=now)
    return created


def drop() -> None:
    """The writer's tables go at commit; inside an outer transaction (a test) they would stay till its end."""
    with connection.cursor() as cursor:
        for name in (STAGING, PEOPLE, COMPANY_IDS, TAG_IDS):
            cursor.execute(f"DROP TABLE IF EXISTS {name}")


def _sequence() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [Customer._meta.db_table])
        return cursor.fetchone()[0]


def _insert_related(*, actor, filename: str, now) -> None:
    q = sql.quote
    through = Customer.tags.through
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {q(through._meta.db_table)} (customer_id, tag_id) "  # noqa: S608 - quoted model identifiers only
            f"SELECT s.id, t.id FROM {STAGING} s JOIN {TAG_CELLS} c ON c.cell = s.tags "
            f"JOIN {TAG_IDS} t ON t.key = c.key"
        )
    note = f"Import of {filename}"[:200]
    sql.insert_select(
        ConsentEvent,
        values={"customer": "s.id", "status": "s.consent", "source": _literal(ConsentEvent.Source.IMPORT),
                "note": _literal(note), "actor": _literal(actor.pk if actor else None), "created_at": _literal(now)},
        source=f"{STAGING} s", suffix="WHERE s.consent <> ''", now=now,
    )  # fmt: skip


def _literal(value) -> str:
    """A constant as SQL text, quoted by the driver (insert_select's values take no parameters)."""
    if value is None:
        return "NULL"
    with connection.cursor() as cursor:
        return cursor.mogrify("%s", [value]).decode().replace("%", "%%")  # insert_select's SQL takes parameters
