"""Checking the rows of a customer import set-based on PostgreSQL: import_checks without a Python loop per row.

1. The kit's row table goes into a TEMP table (RAW) with one COPY of its stored file, parsed by
   PostgreSQL; a file with a row longer or shorter than its header is fed to COPY row by row,
   only the mapped columns.
2. One INSERT … SELECT moves every row whose cells all have the plain shape (import_checks'
   shortcut: a text within its length, a plain ASCII email, a two-letter country, a known
   stage or consent word, a last name …) into CLEAN, converted by PostgreSQL. Every other row
   is read back and checked by import_checks._clean_row, so the rules and their messages stay
   exactly the Python ones (it reports the bad cells; a good row goes into CLEAN too).
3. The checks across rows work on CLEAN: owners are resolved once per distinct name, repeated
   references and emails are found with GROUP BY (only the rows sharing one go through
   import_checks' duplicate rule, in file order), and only the rows that match an existing
   customer go through import_checks' matching rule (they are the updates, written by the ORM).
   Lower-case keys of names (emails outside ASCII, companies, tags) are computed by Python once
   per distinct value, as the Python rules compute them.

The new customers stay in CLEAN for the set-based writer (import_sql). The temporary tables live
for the session (checking runs outside the write's transaction); `drop()` removes them.
"""

import json

from django.db import DataError, connection, transaction

from accounts.models import User
from crm_project.helpers import normalize_phone
from imports import sql

from ..models import Customer
from .import_checks import (
    CONSENT_VALUES,
    ImportPlan,
    ImportRow,
    RowError,
    _check_duplicates,
    _check_matches,
    _check_owners,
    _clean_row,
    _find_companies,
    _plain_lengths,
    _set_value,
    _take_plain,
    tag_ids_by_name,
)
from .import_mapping import CUSTOM_PREFIX

RAW = "customers_import_raw"
CLEAN = "customers_import_rows"
OWNERS = "customers_import_owners"  # owner cell -> owner id (NULL: the importer)
COMPANY_KEYS = "customers_import_company_keys"  # company cell -> lower-case key
TAG_CELLS = "customers_import_tag_cells"  # tags cell -> (position, name's lower-case key)
TABLES = (RAW, CLEAN, OWNERS, COMPANY_KEYS, TAG_CELLS)

# The Customer fields a row sets; '' in CLEAN is a blank cell (it sets nothing).
VALUE_FIELDS = (
    "first_name", "last_name", "email", "phone", "job_title", "street", "city", "postal_code", "country",
    "lifecycle_stage", "external_ref", "notes",
)  # fmt: skip
CLEAN_COLUMNS = {
    "row_number": "integer",
    **dict.fromkeys(VALUE_FIELDS, "text"),
    "email_key": "text",  # the email in lower case, as Python lowers it
    "phone_normalized": "text",
    "company": "text",
    "owner_name": "text",
    "tags": "text",  # the cell; its names are in TAG_CELLS
    "consent": "text",
    "custom_data": "jsonb",
}
# import_checks._PLAIN_EMAIL in PostgreSQL's words (ASCII letters spelt out: no case folding outside ASCII).
# Its labels of at most 63 characters are checked apart (no run of 64 non-dots after the @): PostgreSQL's
# regular expressions take ten times as long with the counted repetitions ({0,61}, {2,63}) inside.
_PLAIN_EMAIL = r"^[A-Za-z0-9_+-]+(\.[A-Za-z0-9_+-]+)*@([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z][A-Za-z]+$"
_ASCII = r"^[ -~]*$"  # printable ASCII: PostgreSQL's lower() is Python's there


def drop() -> None:
    with connection.cursor() as cursor:
        for name in TABLES:
            cursor.execute(f"DROP TABLE IF EXISTS {name}")


def postgresql_plan(table, columns: dict[int, str], actor, custom_fields, progress) -> ImportPlan:
    """import_checks.import_plan, set-based: the same errors and plan; the new rows stay in CLEAN
    (plan.staged_new says how many), plan.rows holds only the rows that update a customer."""
    drop()
    with sql.settings(sql.CHECKING):
        return _plan(table, columns, actor, custom_fields, progress)


def _plan(table, columns: dict[int, str], actor, custom_fields, progress) -> ImportPlan:
    header_of = {target: table.headers[index] for index, target in columns.items()}
    if not _copy_raw(table, columns):
        _stage_raw(table, columns)
    if progress:
        progress(table.row_count // 3, table.row_count)
    _create_clean()
    _insert_plain_rows(columns)
    errors = _check_the_others(table, columns, custom_fields)
    sql.analyze(CLEAN)  # the counts, for the joins below and the writer's (nested loops without them)
    _key_companies()
    owners = _resolve_owners(actor)
    errors += _drop_bad_owners(owners, header_of)
    errors += _drop_duplicates(header_of)
    order = [target for target in columns.values() if target in VALUE_FIELDS]  # an ImportRow's values, in file order
    updates, match_errors = _find_matches(actor, owners, header_of, order)
    errors += match_errors
    errors.sort(key=lambda error: error.row)
    if progress:
        progress(table.row_count * 2 // 3, table.row_count)
    companies, new_companies = _find_companies(_first_rows_per_company(owners), actor)
    tags, new_tags = _find_tags()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {CLEAN} WHERE match_id IS NULL")  # noqa: S608 - our own table
        staged_new = cursor.fetchone()[0]
    return ImportPlan(updates, errors, companies, new_companies, tags, new_tags, staged_new=staged_new, owners=owners)


# --- 1. the raw cells ---------------------------------------------------------------------------
def _copy_raw(table, columns: dict[int, str]) -> bool:
    """Load the file's rows into RAW with PostgreSQL's CSV parser (the kit's copy_into: a plain CSV as
    it is, any other its row table); False (nothing loaded) when a row does not have exactly the
    header's cells: those files take _stage_raw."""
    names = [f"c{index}" for index in range(len(table.headers))]
    definition = ", ".join(["row_number integer", *(f"{name} text" for name in names)])
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"CREATE TEMP TABLE {RAW} ({definition})")
            with connection.wrap_database_errors:  # the driver's own cursor: its errors as Django's
                copied = table.copy_into(cursor, table=RAW, columns=names)
            if copied != table.row_count:  # never expected: then the Python path decides
                raise _Unusual
    except (DataError, _Unusual):  # a short or long row ("missing data", "extra data")
        return False
    return True


class _Unusual(Exception):
    pass


def _stage_raw(table, columns: dict[int, str]) -> None:
    indexes = sorted(columns)

    def rows():
        for number, cells in table.iter_rows():
            yield (number, *(cells[index] if index < len(cells) else "" for index in indexes))

    sql.stage(name=RAW, columns={"row_number": "integer", **{f"c{index}": "text" for index in indexes}}, rows=rows(),
              keep=True, text=True)  # fmt: skip


# --- 2. the cells, one row at a time ----------------------------------------------------------------
def _create_clean() -> None:
    definition = ", ".join(f"{name} {kind}" for name, kind in CLEAN_COLUMNS.items())
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE {CLEAN} ({definition}, match_id bigint)")


def _insert_plain_rows(columns: dict[int, str]) -> None:
    """The rows PostgreSQL takes itself: every mapped cell blank or of the plain shape."""
    lengths = _plain_lengths()
    cell = {target: f"r.c{index}" for index, target in columns.items()}
    tests, params = [], {}
    for index, target in columns.items():
        raw = f"r.c{index}"
        if target == "phone":  # ASCII: PostgreSQL's digits are normalize_phone's
            tests.append(f"(length({raw}) <= {int(lengths[target])} AND {raw} ~ %(ascii)s)")
            params["ascii"] = _ASCII
        elif target in lengths and target not in ("email", "country"):
            tests.append(f"length({raw}) <= {int(lengths[target])}")
        elif target == "email":
            tests.append(f"({raw} = '' OR {plain_email(raw)})")
            params["email"] = _PLAIN_EMAIL
        elif target == "country":
            tests.append(f"({raw} = '' OR {raw} ~ '^[A-Za-z]{{2}}$')")
        elif target in ("lifecycle_stage", "email_consent"):
            tests.append(f"({raw} = '' OR ({raw} ~ %(ascii)s AND {_word(target, raw)} IS NOT NULL))")
            params["ascii"] = _ASCII
        elif target.startswith(CUSTOM_PREFIX):  # custom values keep their Python rules
            tests.append(f"{raw} = ''")
        # owner: any text; it is resolved across rows
    tests.append(f"{cell['last_name']} <> ''")  # import_mapping_clean: last_name is always mapped
    value = {name: cell.get(name, "''") for name in VALUE_FIELDS}
    value["country"] = f"upper({cell['country']})" if "country" in cell else "''"
    if "lifecycle_stage" in cell:
        value["lifecycle_stage"] = f"COALESCE({_word('lifecycle_stage', cell['lifecycle_stage'])}, '')"
    consent = f"COALESCE({_word('email_consent', cell['email_consent'])}, '')" if "email_consent" in cell else "''"
    email = cell.get("email", "''")
    phone = cell.get("phone", "''")
    plus = f"left(btrim({phone}), 1) = '+' AND d.digits <> ''"
    phone_normalized = f"CASE WHEN {plus} THEN '+' || d.digits ELSE d.digits END"  # normalize_phone
    selected = [
        "r.row_number", *(value[name] for name in VALUE_FIELDS), f"lower({email})", phone_normalized,
        cell.get("company", "''"), cell.get("owner", "''"), cell.get("tags", "''"), consent, "'{}'::jsonb",
    ]  # fmt: skip
    # CASE, not AND: PostgreSQL may evaluate AND in any order, and the lengths must hold before the patterns run.
    plain = "CASE WHEN " + " AND ".join(tests) + " THEN true ELSE false END"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {CLEAN} ({', '.join(CLEAN_COLUMNS)}) SELECT {', '.join(selected)} FROM {RAW} r "  # noqa: S608 - our own tables, model field names
            f"CROSS JOIN LATERAL (SELECT regexp_replace({phone}, '[^0-9]', '', 'g') AS digits) d WHERE {plain}",
            {**params, **_word_params()},
        )


def plain_email(raw: str) -> str:
    """SQL: the address `raw` has import_checks' plain shape (its pattern in %(email)s)."""
    domain = f"split_part({raw}, '@', 2)"  # a plain address has one @
    limit = int(_plain_lengths()["email"])
    return f"(length({raw}) <= {limit} AND {raw} ~ %(email)s AND (length({domain}) <= 63 OR {domain} !~ '[^.]{{64}}'))"


def _word(target: str, raw: str) -> str:
    """SQL: the stored value of a lifecycle stage or consent cell (ASCII), NULL when the word is unknown;
    for consent, '' for "unknown" (no consent either way: change nothing)."""
    if target == "lifecycle_stage":
        return f"(SELECT w.value FROM jsonb_each_text(%(stages)s::jsonb) w WHERE w.key = lower({raw}))"  # noqa: S608 - a staging column
    key = f"replace(lower({raw}), ' ', '_')"
    return f"(SELECT w.value FROM jsonb_each_text(%(consents)s::jsonb) w WHERE w.key = {key})"  # noqa: S608 - a staging column


def _word_params() -> dict:
    """The words as import_checks._choice and _set_value read them (labels in the current language)."""
    stages: dict[str, str] = {}
    for value, label in Customer.Stage.choices:
        for word in (str(value).lower(), str(label).lower()):
            stages.setdefault(word, value)  # the first choice naming a word wins, as in _choice
    consents = {**{str(word): str(value) for word, value in CONSENT_VALUES.items()}, "unknown": "", "not_asked": ""}
    return {"stages": json.dumps(stages), "consents": json.dumps(consents)}


def _check_the_others(table, columns: dict[int, str], custom_fields) -> list[RowError]:
    """The rows the SQL did not take, checked by import_checks._clean_row: errors, or rows for CLEAN."""
    custom = {field.key: field for field in custom_fields}
    plain = _plain_lengths()
    width = max(columns) + 1
    selected = ", ".join(f"r.c{index}" for index in columns)
    errors: list[RowError] = []
    good = []
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT r.row_number, {selected} FROM {RAW} r "  # noqa: S608 - our own tables
            f"WHERE NOT EXISTS (SELECT 1 FROM {CLEAN} s WHERE s.row_number = r.row_number) ORDER BY r.row_number"
        )
        for number, *values in cursor.fetchall():
            cells = [""] * width
            for index, raw in zip(columns, values, strict=True):
                cells[index] = raw
            row, row_errors = _clean_row(number, cells, columns, table.headers, custom, plain)
            if row_errors:
                errors.extend(row_errors)
            else:
                good.append(_clean_record(row))
    if good:
        sql.copy_rows(table=CLEAN, columns=list(CLEAN_COLUMNS), rows=good,
                      not_null=[name for name, kind in CLEAN_COLUMNS.items() if kind == "text"])  # fmt: skip
    return errors


def _clean_record(row: ImportRow) -> tuple:
    """An ImportRow as CLEAN holds it (tags as the names joined: TAG_CELLS reads them back as they are)."""
    email = row.values.get("email", "")
    return (
        row.number, *(row.values.get(name, "") for name in VALUE_FIELDS), email.lower(),
        normalize_phone(row.values.get("phone", "")), row.company,
        row.owner_name, ", ".join(row.tags), row.consent, row.custom,
    )  # fmt: skip


# --- 3. across rows -------------------------------------------------------------------------------
def _key_companies() -> None:
    """Each distinct company cell with its lower-case key, lowered by Python as the Python rules do."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT DISTINCT company FROM {CLEAN} WHERE company <> ''")  # noqa: S608 - our own table
        names = [name for (name,) in cursor.fetchall()]
    sql.stage(name=COMPANY_KEYS, columns={"company": "text", "key": "text"},
              rows=((name, name.lower()) for name in names), keep=True)  # fmt: skip


def _resolve_owners(actor) -> dict[str, User | None]:
    """Owner cell -> the user import_checks._check_owners gives it (None: the importer), or absent
    when it refuses the name; the refusals are in OWNERS with their message."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT DISTINCT owner_name FROM {CLEAN} WHERE owner_name <> ''")  # noqa: S608 - our own table
        names = [name for (name,) in cursor.fetchall()]
    rows = [ImportRow(number=position, owner_name=name) for position, name in enumerate(names)]
    problems = _check_owners(rows, actor)
    owners = {row.owner_name: row.owner for row in rows if row.number not in problems}
    sql.stage(
        name=OWNERS, columns={"owner_name": "text", "owner_id": "bigint", "message": "text"},
        rows=[(row.owner_name, row.owner.pk if row.owner else None,
               problems[row.number][1] if row.number in problems else "") for row in rows],
        keep=True,
    )  # fmt: skip
    return owners


def _drop_bad_owners(owners, header_of) -> list[RowError]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {CLEAN} s USING {OWNERS} o WHERE o.owner_name = s.owner_name AND o.message <> '' "  # noqa: S608 - our own tables
            "RETURNING s.row_number, o.message, s.owner_name"
        )
        return [RowError(number, header_of.get("owner", ""), "owner", message, name)
                for number, message, name in cursor.fetchall()]  # fmt: skip


def _drop_duplicates(header_of) -> list[RowError]:
    """import_checks._check_duplicates over the rows that share a reference or an email with another
    (a row sharing neither is never a duplicate, and never makes another one)."""
    repeated = "SELECT {0} FROM " + CLEAN + " WHERE {0} <> '' GROUP BY 1 HAVING count(*) > 1"  # noqa: S608 - our own table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT row_number, external_ref, email FROM {CLEAN} WHERE "  # noqa: S608 - our own table
            f"external_ref IN ({repeated.format('external_ref')}) OR email_key IN ({repeated.format('email_key')}) "
            "ORDER BY row_number"
        )
        rows = [ImportRow(number=number, values={"external_ref": ref, "email": email})
                for number, ref, email in cursor.fetchall()]  # fmt: skip
    for row in rows:  # a blank cell sets no value
        row.values = {name: value for name, value in row.values.items() if value}
    problems = _check_duplicates(rows, None)
    _delete_rows(problems)
    return [RowError(number, header_of.get(target, ""), target, message, value)
            for number, (target, message, value) in problems.items()]  # fmt: skip


def _find_matches(actor, owners, header_of, order) -> tuple[list[ImportRow], list[RowError]]:
    """import_checks._check_matches over the rows whose reference or email some customer has: the
    rows it matches are the updates (their match_id set in CLEAN), the ones it refuses are dropped.
    Joins, not IN (SELECT …): a list of every customer's reference outgrows work_mem and is then
    searched once per row."""
    customers = sql.quote(Customer._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(f's.{name}' for name in CLEAN_COLUMNS)} FROM {CLEAN} s WHERE "  # noqa: S608 - our own table, a quoted model table
            f"s.row_number IN (SELECT s.row_number FROM {CLEAN} s JOIN {customers} c "
            "ON c.external_ref = s.external_ref WHERE s.external_ref <> '' "
            f"UNION SELECT s.row_number FROM {CLEAN} s JOIN {customers} c ON lower(c.email) = s.email_key "
            "WHERE s.email_key <> '') ORDER BY s.row_number"
        )
        rows = [_import_row(record, owners, order) for record in cursor.fetchall()]
    problems = _check_matches(rows, actor)
    _delete_rows(problems)
    updates = [row for row in rows if row.number not in problems and row.match_id is not None]
    if updates:
        sql.stage(name="customers_import_matches", columns={"row_number": "integer", "match_id": "bigint"},
                  rows=((row.number, row.match_id) for row in updates), keep=True)  # fmt: skip
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {CLEAN} s SET match_id = m.match_id FROM customers_import_matches m "  # noqa: S608 - our own tables
                "WHERE m.row_number = s.row_number"
            )
            cursor.execute("DROP TABLE customers_import_matches")
    errors = [RowError(number, header_of.get(target, ""), target, message, value)
              for number, (target, message, value) in problems.items()]  # fmt: skip
    return updates, errors


def _import_row(record, owners, order) -> ImportRow:
    """A CLEAN row as the ImportRow the Python rules would have made of it."""
    data = dict(zip(CLEAN_COLUMNS, record, strict=True))
    custom = data["custom_data"]
    return ImportRow(
        number=data["row_number"],
        values={name: data[name] for name in order if data[name]},
        custom=json.loads(custom) if isinstance(custom, str) else custom,
        tags=tag_names(data["tags"]),
        company=data["company"],
        owner_name=data["owner_name"],
        owner=owners.get(data["owner_name"]) if data["owner_name"] else None,
        consent=data["consent"],
    )


def _delete_rows(problems: dict) -> None:
    if not problems:
        return
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {CLEAN} WHERE row_number = ANY(%s)", [list(problems)])  # noqa: S608 - our own table


def _first_rows_per_company(owners) -> list[ImportRow]:
    """The first row naming each company (its owner owns a new company), in file order."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH firsts AS (SELECT min(s.row_number) AS row_number FROM {CLEAN} s "  # noqa: S608 - our own tables
            f"JOIN {COMPANY_KEYS} k ON k.company = s.company GROUP BY k.key) "
            f"SELECT s.row_number, s.company, s.owner_name FROM {CLEAN} s JOIN firsts f ON f.row_number = s.row_number"
        )
        firsts = cursor.fetchall()
    firsts.sort()
    return [ImportRow(number=number, company=company, owner=owners.get(name) if name else None)
            for number, company, name in firsts]  # fmt: skip


def _find_tags() -> tuple[dict, dict]:
    """import_checks._find_tags over the distinct tags cells in the order the file first has them;
    TAG_CELLS gets each cell's names (their keys, in the row's order) for the writer."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tags FROM {CLEAN} WHERE tags <> '' GROUP BY tags ORDER BY min(row_number)")  # noqa: S608 - our own table
        cells = [cell for (cell,) in cursor.fetchall()]
    named: dict[str, str] = {}
    links = []
    for cell in cells:
        for position, name in enumerate(tag_names(cell)):
            named.setdefault(name.lower(), name)
            links.append((cell, position, name.lower()))
    sql.stage(name=TAG_CELLS, columns={"cell": "text", "position": "integer", "key": "text"}, rows=links, keep=True)
    existing = tag_ids_by_name(list(named))
    return existing, {key: name for key, name in named.items() if key not in existing}


def tag_names(cell: str) -> list[str]:
    """A good row's tags cell as import_checks reads it into ImportRow.tags."""
    if not cell:
        return []
    row = ImportRow(number=0)
    if not (len(cell) <= _plain_lengths()["tags"] and _take_plain(row, "tags", cell)):
        _set_value(row, "tags", cell, {})
    return row.tags
