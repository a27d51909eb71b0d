"""Checking order rows set-based on PostgreSQL: pass 1 of the order import without a Python loop per row.

1. The file's rows go into a TEMP table with one COPY (the kit's copy_into: a plain CSV as
   it is, never read by Python; any other file's stored row table), parsed by PostgreSQL; a
   file with a row longer or shorter than its header is fed to COPY row by row instead,
   padded to the six columns.
2. One INSERT … SELECT moves every row that plainly passes the rules (the common
   shapes: an ISO date, a plain amount, a known status …) into the staging table of
   order_import_write, converted by PostgreSQL; the dates, clocks, offsets and currency
   codes are looked up in small hashed tables (_create_shapes), since PostgreSQL's
   regular expressions cost seconds a million rows. Anything else, and every date on a
   day the CRM's time zone changes its clock (where PostgreSQL and Python read a
   local time differently), is read back and cleaned by order_import_rows.RowParser,
   so the rules and their messages stay exactly the ones the tests pin.
3. Customer references are resolved once per distinct reference (order_import._Customers),
   the rows whose customer is unusable are reported and dropped, and a repeated
   (customer_ref, order_ref) is found with a window function.

The temporary tables live for the session (not one transaction), so the job's progress
is committed as it goes; `drop()` removes them.
"""

from django.conf import settings
from django.db import DataError, connection, transaction
from django.utils.translation import gettext as _

from imports import sql

from ..models import Order
from .order_import_rows import COLUMNS, RowError, RowParser
from .order_import_write import REFS, STAGING, spool_record

RAW = "sales_order_import_raw"
# The cells PostgreSQL converts as Python does, looked up in hashed tables (PostgreSQL's regular
# expressions with counted repetitions and alternatives cost seconds a million rows):
DAYS = "sales_order_import_days"  # every date 1900–2100 (YYYY-MM-DD) but the time zone's clock-change days
CLOCKS = "sales_order_import_clocks"  # "Thh:mm" and " hh:mm", 00:00–23:59
OFFSETS = "sales_order_import_offsets"  # "", "Z", "+hh:mm", "-hhmm" … for hh 00–13
CODES = "sales_order_import_codes"  # "" and every upper-case 3-letter currency code
SHAPES = (DAYS, CLOCKS, OFFSETS, CODES)
# Sorting a million staged rows (file order, repeats) in memory instead of on disk; reset afterwards.
WORK_MEM = "256MB"
_FOUND = 0
_SECONDS = ", ".join(f"':{second:02d}'" for second in range(60))
_STATUSES = "('', 'paid', 'refunded', 'cancelled', 'canceled')"


def postgresql_check(table, result, customers, *, ref_messages, progress, expected_rows) -> int:
    """Check every row of `table`; leave the good ones in STAGING and their customers' ids in REFS
    (a reference missing there: a customer to create); add the bad ones to `result`; return how
    many are good."""
    drop()
    with connection.cursor() as cursor:
        cursor.execute(f"SET work_mem = '{WORK_MEM}'")
    if not _copy_raw(table):
        index = {name: position for position, name in enumerate(table.headers)}
        sql.stage(
            name=RAW,
            columns={"row_number": "integer", **{name: "text" for name in COLUMNS}, "surplus": "boolean"},
            rows=_raw_rows(table, index, len(table.headers)),
            keep=True,
            text=True,
        )
    result.total = table.row_count
    if progress:
        progress(result.total // 2, expected_rows or result.total)
    _create_staging()
    _create_shapes()
    errors = _parse_the_others() if _insert_plain_rows() < result.total else []  # usually every row is plain
    customers.resolve(_distinct_refs())
    errors += _drop_unusable_customers(customers, ref_messages)
    errors += _drop_repeated_order_refs()
    result.add_errors(errors)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {STAGING}")
        cursor.execute(f"SELECT count(*) FROM {STAGING}")  # noqa: S608 - our own temporary table
        return cursor.fetchone()[0]


def drop() -> None:
    with connection.cursor() as cursor:
        for name in (RAW, REFS, STAGING, *SHAPES):
            cursor.execute(f"DROP TABLE IF EXISTS {name}")
        cursor.execute("RESET work_mem")


def _create_shapes() -> None:
    """The hashed tables _plain() looks cells up in. DAYS leaves out the days (1900–2100) on which
    the CRM's time zone changes its clock: rows with a local time on such a day keep the Python
    rules (the two languages read an ambiguous local time differently)."""
    letters = "(SELECT chr(c) AS l FROM generate_series(65, 90) c)"
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE {DAYS} AS SELECT to_char(d, 'YYYY-MM-DD') AS day "  # noqa: S608 - our own table
            "FROM generate_series(date '1900-01-01', date '2100-12-31', interval '1 day') d "
            "WHERE ((d + interval '1 day')::timestamp AT TIME ZONE %(zone)s) - (d::timestamp AT TIME ZONE %(zone)s) "
            "= interval '1 day'",
            {"zone": settings.TIME_ZONE},
        )
        cursor.execute(
            f"CREATE TEMP TABLE {CLOCKS} AS SELECT t || to_char(h, 'FM00') || ':' || to_char(m, 'FM00') AS clock "  # noqa: S608
            "FROM unnest(ARRAY['T', ' ']) t, generate_series(0, 23) h, generate_series(0, 59) m"
        )
        cursor.execute(
            f"CREATE TEMP TABLE {OFFSETS} AS SELECT unnest(ARRAY['', 'Z']) AS offset_text UNION ALL "  # noqa: S608
            "SELECT s || to_char(h, 'FM00') || c || to_char(m, 'FM00') FROM unnest(ARRAY['+', '-']) s, "
            "unnest(ARRAY[':', '']) c, generate_series(0, 13) h, generate_series(0, 59) m"
        )
        cursor.execute(
            f"CREATE TEMP TABLE {CODES} AS SELECT '' AS code UNION ALL "  # noqa: S608 - our own tables
            f"SELECT a.l || b.l || c.l FROM {letters} a, {letters} b, {letters} c"
        )
        for name in SHAPES:
            cursor.execute(f"ANALYZE {name}")


def _copy_raw(table) -> bool:
    """Load the file's rows into RAW with PostgreSQL's own CSV parser, no Python per row (the kit's
    copy_into: a plain CSV as it is, any other its row table); False (nothing loaded) when a row does
    not have exactly the header's cells: those files take _raw_rows."""
    missing = [name for name in COLUMNS if name not in table.headers]  # optional columns the file lacks
    texts = [f"{name} text" for name in table.headers] + [f"{name} text DEFAULT ''" for name in missing]
    definition = ", ".join(["row_number integer", *texts, "surplus boolean DEFAULT false"])
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"CREATE TEMP TABLE {RAW} ({definition})")
            with connection.wrap_database_errors:  # the driver's own cursor: its errors as Django's
                copied = table.copy_into(cursor, table=RAW, columns=table.headers)
            if copied != table.row_count:  # never expected: then the Python path decides
                raise _Unusual
    except (DataError, _Unusual):  # a short or long row ("missing data", "extra data"), ...
        return False
    return True


class _Unusual(Exception):
    pass


def _raw_rows(table, index: dict[str, int], width: int):
    positions = [index.get(name) for name in COLUMNS]
    for number, cells in table.iter_rows():
        values = [cells[position] if position is not None and position < len(cells) else "" for position in positions]
        surplus = len(cells) > width and any(cells[width:])
        yield (number, *values, "t" if surplus else "f")


def _create_staging() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE {STAGING} (row_number integer NOT NULL, "
            "customer_ref varchar(100) NOT NULL, order_ref varchar(100) NOT NULL, ordered_at timestamptz NOT NULL, "
            "status varchar(10) NOT NULL, currency varchar(3) NOT NULL, total numeric(14, 2) NOT NULL)"
        )


def _plain() -> str:
    """The rows PostgreSQL converts itself: shapes whose reading is the same in both languages (a
    subset of what the Python rules take; the other rows go to them)."""
    # CASE, not AND: PostgreSQL may evaluate AND in any order, and the casts need the shapes checked first.
    currency = f"r.currency IN (SELECT code FROM {CODES})"  # noqa: S608 - our own table
    return (
        "CASE WHEN NOT r.surplus AND r.customer_ref <> '' AND length(r.customer_ref) <= 100 "
        # At most 12 characters: at most 12 digits before the point, as numeric(14, 2) holds.
        r"AND length(r.order_ref) <= 100 AND length(r.total) <= 12 AND r.total ~ '^-?[0-9]+(\.[0-9][0-9]?)?$' "
        f"AND (r.status IN {_STATUSES} OR lower(r.status) IN {_STATUSES}) "
        "AND (left(r.total, 1) <> '-' OR lower(r.status) = 'refunded') "
        f"AND ({currency} OR r.currency ~ '^[A-Za-z]{{3}}$') "
        f"THEN {_plain_ordered_at('r.ordered_at')} ELSE false END"
    )


def _plain_ordered_at(value: str) -> str:
    """An ISO date, or date and time ("T" or a space, hh:mm, then optionally :ss and .f to .ffffff,
    then optionally Z or an offset), each part looked up in its table or counted."""
    fraction_on = f"ltrim(substr({value}, 21), '0123456789')"  # what follows the fraction's digits
    offsets = f"SELECT offset_text FROM {OFFSETS}"  # noqa: S608 - our own table
    return (
        f"CASE WHEN substr({value}, 1, 10) NOT IN (SELECT day FROM {DAYS}) THEN false "  # noqa: S608 - our own table
        f"WHEN length({value}) = 10 THEN true "
        f"WHEN substr({value}, 11, 6) NOT IN (SELECT clock FROM {CLOCKS}) THEN false "  # noqa: S608 - our own table
        f"WHEN length({value}) = 16 THEN true "
        f"WHEN substr({value}, 17, 1) <> ':' THEN substr({value}, 17) IN ({offsets}) "
        f"WHEN substr({value}, 17, 3) NOT IN ({_SECONDS}) THEN false "
        f"WHEN substr({value}, 20, 1) <> '.' THEN substr({value}, 20) IN ({offsets}) "
        # 1 to 6 digits of fraction, then an offset or nothing
        f"ELSE length({value}) - length({fraction_on}) BETWEEN 21 AND 26 AND {fraction_on} IN ({offsets}) END"
    )


def _insert_plain_rows() -> int:
    # The WHERE clause has checked the shape: 10 characters are a date; after the date, a sign or Z is an offset.
    after_date = "substr(r.ordered_at, 11)"
    ordered_at = (
        "CASE WHEN length(r.ordered_at) = 10 THEN r.ordered_at::date::timestamp AT TIME ZONE %(zone)s "
        f"WHEN strpos({after_date}, '+') > 0 OR strpos({after_date}, '-') > 0 OR right(r.ordered_at, 1) = 'Z' "
        "THEN r.ordered_at::timestamptz "
        "ELSE r.ordered_at::timestamp AT TIME ZONE %(zone)s END"
    )
    status = (
        "CASE lower(r.status) WHEN '' THEN %(paid)s WHEN 'paid' THEN %(paid)s WHEN 'refunded' THEN %(refunded)s "
        "ELSE %(cancelled)s END"
    )
    currency = "CASE WHEN r.currency = '' THEN %(currency)s ELSE upper(r.currency) END"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {STAGING} (row_number, customer_ref, order_ref, ordered_at, status, currency, total) "  # noqa: S608 - our own tables
            f"SELECT r.row_number, r.customer_ref, r.order_ref, {ordered_at}, {status}, {currency}, "
            f"r.total::numeric(14, 2) FROM {RAW} r WHERE {_plain()}",
            _parameters(),
        )
        return cursor.rowcount


def _parameters() -> dict:
    return {
        "zone": settings.TIME_ZONE,
        "paid": Order.Status.PAID.value,
        "refunded": Order.Status.REFUNDED.value,
        "cancelled": Order.Status.CANCELLED.value,
        "currency": settings.CRM_CURRENCY,
    }


def _parse_the_others() -> list[RowError]:
    """The rows the SQL did not take, cleaned by the Python rules: errors, or rows to stage."""
    parser = RowParser({name: position for position, name in enumerate(COLUMNS)})
    errors: list[RowError] = []
    good = []
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT r.row_number, {', '.join(f'r.{name}' for name in COLUMNS)}, r.surplus FROM {RAW} r "  # noqa: S608 - our own tables
            f"WHERE NOT EXISTS (SELECT 1 FROM {STAGING} s WHERE s.row_number = r.row_number) ORDER BY r.row_number"
        )
        for number, *cells, surplus in cursor.fetchall():
            if surplus:
                errors.append(RowError(number, "", _("This row has more cells than the header has columns.")))
                continue
            row, row_errors = parser.parse(number, cells)
            if row is None:
                errors.extend(row_errors)
            else:
                good.append(spool_record(row))
    if good:
        columns = (
            "row_number",
            "customer_ref",
            "order_ref",
            "ordered_at",
            "status",
            "currency",
            "total",
        )
        rows = ([number, *rest] for number, _customer_id, *rest in good)  # customers are resolved later
        sql.copy_rows(
            table=STAGING, columns=columns, rows=rows, not_null=("customer_ref", "order_ref", "status", "currency")
        )
    return errors


def _distinct_refs() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT DISTINCT customer_ref FROM {STAGING}")  # noqa: S608 - our own table
        return {ref for (ref,) in cursor.fetchall()}


def _drop_unusable_customers(customers, ref_messages) -> list[RowError]:
    """Report and drop the rows whose customer may not be used. REFS keeps each usable reference's
    customer id for the write to join (updating every staged row with it cost as much as the join)."""
    refs = [(ref, customer_id if customer_id >= 0 else None, customer_id if customer_id < 0 else _FOUND)
            for ref, customer_id in customers.ids.items()]  # fmt: skip
    sql.stage(name=REFS, columns={"customer_ref": "text", "customer_id": "bigint", "code": "integer"}, rows=refs,
              keep=True)  # fmt: skip
    errors = []
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {STAGING} s USING {REFS} r WHERE r.customer_ref = s.customer_ref AND r.code < 0 "  # noqa: S608 - our own tables
            "RETURNING s.row_number, s.customer_ref, r.code"
        )
        for number, ref, code in cursor.fetchall():
            errors.append(RowError(number, "customer_ref", ref_messages[code](), ref[:50]))
    return errors


def _drop_repeated_order_refs() -> list[RowError]:
    with connection.cursor() as cursor:
        # Usually there is none: one hashed GROUP BY says so without sorting every row for the window.
        cursor.execute(
            f"SELECT 1 FROM {STAGING} WHERE order_ref <> '' GROUP BY customer_ref, order_ref HAVING count(*) > 1 "  # noqa: S608 - our own table
            "LIMIT 1"
        )
        if cursor.fetchone() is None:
            return []
        cursor.execute(
            f"WITH firsts AS (SELECT row_number, min(row_number) OVER (PARTITION BY customer_ref, order_ref) AS first "  # noqa: S608 - our own table
            f"FROM {STAGING} WHERE order_ref <> '') "
            f"DELETE FROM {STAGING} s USING firsts f WHERE s.row_number = f.row_number AND f.row_number <> f.first "
            "RETURNING s.row_number, f.first, s.order_ref"
        )
        message = _("Duplicate in file: row %(row)d has the same customer_ref and order_ref.")
        return [RowError(number, "order_ref", message % {"row": first}, ref[:50]) for number, first, ref in cursor]
