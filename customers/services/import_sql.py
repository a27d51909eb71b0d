"""Writing the new customers of an import set-based on PostgreSQL (the import's writer, fast path).

The checked rows are COPYed into a TEMP table, given their ids from the customers'
sequence, then each table is written with one INSERT … SELECT: the customers, their
tag links, their consent events and their timeline entries ("Imported (new customer)").
The rows are the ones the ORM path would write, field for field; no Customer or
Interaction object is built per row. Updated customers keep the ORM path (they are
compared field by field with what is stored).
"""

import json

from django.db import connection

from crm_project.helpers import normalize_phone
from imports import sql

from ..models import ConsentEvent, Customer, Interaction

STAGING = "customers_import_new"
AUDIT_ACTION = "customer.imported"
# Staged per row: the Customer fields an import sets, plus what the related rows need.
_VALUE_FIELDS = (
    "first_name", "last_name", "email", "phone", "job_title", "street", "city", "postal_code", "country",
    "lifecycle_stage", "external_ref", "notes",
)  # fmt: skip


def customers_insert_set_based(rows, *, actor, company_ids: dict, teams, tag_ids: dict, filename: str, now) -> int:
    """Insert the new customers of `rows` (ImportRow) and everything that goes with them; return how many."""
    if not rows:
        return 0
    columns = {
        "row_number": "integer",
        "owner_id": "bigint",
        "team_id": "bigint",
        "company_id": "bigint",
        **{name: "text" for name in _VALUE_FIELDS},
        "phone_normalized": "text",
        "custom_data": "jsonb",
        "email_consent": "text",
        "tag_ids": "bigint[]",
    }
    sql.stage(name=STAGING, columns=columns, rows=_staged(rows, actor, company_ids, teams, tag_ids), text=True,
              ids_from=Customer)  # fmt: skip
    consent = f"CASE WHEN s.email_consent <> '' THEN s.email_consent ELSE {_literal(Customer.Consent.UNKNOWN)} END"
    created = sql.insert_select(
        Customer,
        values={
            "id": "s.id", "owner": "s.owner_id", "team": "s.team_id", "company": "s.company_id",
            **{name: f"s.{name}" for name in _VALUE_FIELDS},
            "lifecycle_stage": f"COALESCE(NULLIF(s.lifecycle_stage, ''), {_literal(Customer.Stage.LEAD)})",
            "phone_normalized": "s.phone_normalized", "custom_data": "s.custom_data",
            "email_consent": consent, "email_consent_at": f"CASE WHEN s.email_consent <> '' THEN {_literal(now)} END",
            "source": _literal(Customer.Source.IMPORT), "created_at": _literal(now),
        },
        source=f"{STAGING} s", suffix="ORDER BY s.row_number", now=now,
    )  # fmt: skip
    _insert_related(actor=actor, filename=filename, now=now)
    return created


def _staged(rows, actor, company_ids, teams, tag_ids):
    """Each row as the strings COPY reads (text=True: no per-value conversion); NULL is \\N."""
    null = "\\N"
    owners: dict = {}  # owner -> (owner id, team id), once per owner
    for row in rows:
        owner = row.owner or actor
        if owner not in owners:
            team = teams.of(owner)
            owners[owner] = (str(owner.pk) if owner else null, str(team.pk) if team else null)
        values = row.values
        yield (
            row.number,
            *owners[owner],
            company_ids[row.company.lower()] if row.company else null,
            *[values.get(name, "") for name in _VALUE_FIELDS],
            normalize_phone(values.get("phone", "")),
            json.dumps(row.custom) if row.custom else "{}",
            row.consent,
            "{" + ",".join(str(tag_ids[name.lower()]) for name in row.tags) + "}",
        )


def _insert_related(*, actor, filename: str, now) -> None:
    q = sql.quote
    through = Customer.tags.through
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {q(through._meta.db_table)} (customer_id, tag_id) "  # noqa: S608 - quoted model identifiers only
            f"SELECT s.id, unnest(s.tag_ids) FROM {STAGING} s ORDER BY s.row_number"
        )
    note = f"Import of {filename}"[:200]
    sql.insert_select(
        ConsentEvent,
        values={"customer": "s.id", "status": "s.email_consent", "source": _literal(ConsentEvent.Source.IMPORT),
                "note": _literal(note), "actor": _literal(actor.pk if actor else None), "created_at": _literal(now)},
        source=f"{STAGING} s", suffix="WHERE s.email_consent <> '' ORDER BY s.row_number", now=now,
    )  # fmt: skip
    data = (
        f"jsonb_build_object('created', true, 'fields', '[]'::jsonb, 'row', s.row_number, "
        f"'file', {_literal(filename[:200])})"
    )
    sql.insert_select(
        Interaction,
        values={"customer": "s.id", "company": "s.company_id", "kind": _literal(Interaction.Kind.SYSTEM),
                "action": _literal(AUDIT_ACTION), "summary": _literal("Imported (new customer)"),
                "user": _literal(actor.pk if actor else None), "occurred_at": _literal(now),
                "created_at": _literal(now), "data": data},
        source=f"{STAGING} s", suffix="ORDER BY s.row_number", now=now,
    )  # fmt: skip


def _literal(value) -> str:
    """A constant as SQL text, quoted by the driver (insert_select's values take no parameters)."""
    if value is None:
        return "NULL"
    with connection.cursor() as cursor:
        return cursor.mogrify("%s", [value]).decode()
