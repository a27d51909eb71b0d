"""Set-based writing on PostgreSQL for any import: COPY checked rows into a TEMP staging
table, then one INSERT … SELECT per target table (no Python object per row).

    stage(name="customers_import_new", columns={"row_number": "integer", "email": "text"}, rows=iter_of_tuples)
    insert_select(Customer, values={"email": "s.email", ...}, source="customers_import_new s", params=[...])

And for the checks, on any database: `lookups(values)` splits a long list of values into
lookup-sized lists and `among(chunk)` is the right side of an `__in` lookup for one of them:

    for chunk in sql.lookups(refs):
        Customer.objects.filter(external_ref__in=sql.among(chunk))

A model field that the import does not stage gets its Python default (`auto_now` fields:
`now`), so an INSERT … SELECT writes the same row `Model.objects.create()` would.
The SQL text only ever holds names from the models, quoted by the backend, and the
staging columns the caller names; values travel through COPY or as parameters.
"""

import contextlib
import csv
import itertools
import json
import os
import tempfile
import time
from collections.abc import Iterable, Iterator

from django.db import connection
from django.db.models.expressions import RawSQL

from crm_project.fragments import bump_written
from crm_project.helpers import chunks


def quote(name: str) -> str:
    return connection.ops.quote_name(name)


# --- looking values up, on any database -------------------------------------------------------------
def lookup_size() -> int:
    """Values per lookup: SQLite allows 999 variables per statement; on PostgreSQL the values travel
    as one array parameter (among()), so a batch only bounds the size of one query (one query of
    100,000 values is one hash join, where 20 of 5,000 were 20 scans)."""
    return 900 if connection.vendor == "sqlite" else 100_000


def lookups(values: Iterable, size: int | None = None) -> Iterator[list]:
    """`values` in lists of lookup_size() (or `size`) values."""
    return chunks(values, size or lookup_size())


def among(values: list) -> list | RawSQL:
    """The right side of an `__in` lookup: on PostgreSQL one array parameter (Django's IN compiles
    a placeholder per value, seconds at 100,000 values); elsewhere the values themselves."""
    if postgresql():
        return RawSQL("SELECT unnest(%s)", [values])
    return values


# --- staging and writing, on PostgreSQL ---------------------------------------------------------------
def stage(*, name: str, columns: dict[str, str], rows: Iterable, keep: bool = False, text: bool = False,
          ids_from=None) -> int:  # fmt: skip
    """A TEMP table `name` holding `rows`, loaded with one COPY; returns the row count. It is dropped
    at commit, or with keep=True at the end of the session (or by the caller). None is NULL; dicts
    and lists are JSON; text=True: the rows hold only strings and numbers, written as they are.
    A text column is never NULL (pass ""), so a cell that reads \\N stays \\N.
    ids_from=Model: a first column `id` takes each row's id from the model's sequence as COPY reads
    it (in order), so rows related to the new ones can be inserted set-based (an UPDATE of every
    staged row afterwards costs as much again)."""
    definition = ", ".join(f"{column} {kind}" for column, kind in columns.items())
    params = None
    if ids_from is not None:
        definition = f"id bigint DEFAULT nextval(%s::regclass), {definition}"
        params = [_sequence(ids_from)]
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {name}")
        cursor.execute(f"CREATE TEMP TABLE {name} ({definition}){'' if keep else ' ON COMMIT DROP'}", params)
    texts = [column for column, kind in columns.items() if kind == "text"]
    count = copy_rows(table=name, columns=list(columns), rows=rows, text=text, not_null=texts)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {name}")
    return count


def copy_rows(*, table: str, columns, rows: Iterable, text: bool = False, not_null=()) -> int:
    """COPY `rows` into the existing `table`; returns how many."""
    with tempfile.TemporaryFile("w+", newline="", encoding="utf-8") as spool:
        writer = csv.writer(spool)
        counter = itertools.count()
        counted = (row for row, _number in zip(rows, counter, strict=False))
        if text:
            writer.writerows(counted)
        else:
            writer.writerows(["\\N" if value is None else _text(value) for value in row] for row in counted)
        count = next(counter)
        spool.seek(0)
        with connection.cursor() as cursor:
            force = f", FORCE_NOT_NULL ({', '.join(not_null)})" if not_null else ""
            copy_from(
                cursor, f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv, NULL '\\N'{force})", spool
            )
    return count


def copy_from(cursor, sql: str, source) -> int:
    """Run `sql` (COPY … FROM STDIN) with `source`'s text; return the rows COPY read."""
    # COPY goes around Django's cursor and its execute wrappers: the fragment cache's
    # versions of a watched table it writes (none today: staging tables) move here.
    bump_written(sql)
    raw = cursor.cursor  # the driver's cursor under Django's wrapper
    if hasattr(raw, "copy_expert"):  # psycopg2
        raw.copy_expert(sql, source)
    else:  # psycopg 3
        with raw.copy(sql) as stream:
            while data := source.read(1 << 20):
                stream.write(data)
    return raw.rowcount


def insert_select(model, *, values: dict[str, str], source: str, params: list | None = None, now=None,
                  suffix: str = "") -> int:  # fmt: skip
    """INSERT INTO model's table (every concrete field) SELECT `values` (SQL per field name) FROM `source`;
    fields not in `values` get their default. Returns the rows inserted."""
    columns: list[str] = []
    expressions: list[str] = []
    defaults: list = []
    for field in model._meta.concrete_fields:
        expression = values.get(field.name, values.get(field.attname))
        if expression is not None:
            expressions.append(expression)
        elif field.primary_key:
            continue
        else:
            default = now if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False) else None
            if default is None and (field.has_default() or not field.null):
                default = field.get_default()
            expressions.append("%s")
            defaults.append(field.get_db_prep_save(default, connection))
        columns.append(quote(field.column))
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(columns)}) "  # noqa: S608 - quoted model identifiers only
        f"SELECT {', '.join(expressions)} FROM {source} {suffix}"
    )
    # The defaults are the SELECT list's only parameters (`values` hold no %s), then those of `source`.
    with connection.cursor() as cursor:
        cursor.execute(sql, defaults + list(params or []))
        return cursor.rowcount


def _sequence(model) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [model._meta.db_table, model._meta.pk.column])
        return cursor.fetchone()[0]


def _text(value) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value)
    if isinstance(value, bool):
        return "t" if value else "f"
    return str(value)


def postgresql() -> bool:
    return connection.vendor == "postgresql"


# A check reads every staged row once or twice: enough memory that its hashes and sorts of 100,000
# rows stay off the disk, and no JIT (it compiles each statement anew, once per import: 50-100 ms of
# compiling for one pass). Only the checks and the staging run so; the INSERTs into the real tables
# run as the benches' floors run theirs.
CHECKING = {"work_mem": "64MB", "jit": "off"}


@contextlib.contextmanager
def settings(values: dict[str, str]) -> Iterator[None]:
    """Run the block with these PostgreSQL settings for the session, then put back what was there
    (a setting made inside a transaction that rolls back goes back with it)."""
    if not postgresql():
        yield
        return
    names = list(values)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(['current_setting(%s)'] * len(names))}", names)
        before = cursor.fetchone()
        _set(cursor, dict(zip(names, (values[name] for name in names), strict=True)))
    try:
        yield
    finally:
        if not connection.needs_rollback:  # else the transaction that made them takes them back
            with connection.cursor() as cursor:
                _set(cursor, dict(zip(names, before, strict=True)))


def _set(cursor, values: dict[str, str]) -> None:
    calls = ", ".join(["set_config(%s, %s, false)"] * len(values))
    cursor.execute(f"SELECT {calls}", [part for item in values.items() for part in item])


def analyze(table: str) -> None:
    """ANALYZE a staging table for its planner's counts (row count, distinct values), from 3,000
    sampled rows (statistics target 10) instead of 30,000: a fifth of a second less at 100,000
    rows, and the joins are planned the same (hash joins) either way."""
    with settings({"default_statistics_target": "10"}), connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {table}")


def constraints_check_now() -> None:
    """Run the foreign-key checks the statements so far queued for COMMIT. The benches'
    floors roll back, and an import that commits pays for these checks, so a floor
    that skipped them would not be a floor."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def vacuum(model) -> None:
    """VACUUM ANALYZE the model's table (PostgreSQL, outside a transaction): the benches
    start the import from a table without the floor's rolled-back rows."""
    if postgresql() and not connection.in_atomic_block:  # VACUUM refuses a transaction
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {quote(model._meta.db_table)}")


def cpu_seconds() -> float | None:
    """CPU seconds used so far by this process and its database backend (PostgreSQL on this
    machine, read from /proc), for the benches: on a shared machine a ratio of CPU seconds
    says more than one of wall clocks. None when the backend's figures cannot be read."""
    if not postgresql():
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return time.process_time() + (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_seconds_since(cpu: float | None) -> float | None:
    """The CPU seconds used since `cpu_seconds()` gave `cpu` (None when either is unknown)."""
    now = cpu_seconds()
    return None if cpu is None or now is None else now - cpu
