"""Small database helpers shared by the analytics queries."""

import io
import zoneinfo
from datetime import date, datetime, time

import numpy as np
from django.conf import settings
from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from crm_project.fragments import bump_written


def crm_timezone() -> zoneinfo.ZoneInfo:
    """The CRM's own time zone (settings.TIME_ZONE), whatever a user has switched to."""
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def crm_today() -> date:
    return timezone.localdate(timezone.now(), crm_timezone())


def crm_midnight(day: date) -> datetime:
    """00:00 of `day` in the CRM's time zone, as an aware datetime."""
    return datetime.combine(day, time.min, tzinfo=crm_timezone())


class ExactSum(Sum):
    """SUM of a two-place decimal column that is exact on SQLite too.

    SQLite stores decimals as floating point, so a plain SUM can make
    0.10 + 0.20 differ from 0.30 and split a tie. Summing whole cents as
    integers and dividing once keeps equal sums equal and their order exact.
    """

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            template="(SUM(CAST(ROUND(%(expressions)s * 100) AS INTEGER)) / 100.0)",
            **extra_context,
        )


# --- PostgreSQL's binary COPY, from numpy columns ---------------------------------------------
# The format (https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9.4): a header,
# then per row a 16-bit field count and per field a 32-bit length and the value, big-endian.
COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
COPY_TRAILER = (-1).to_bytes(2, "big", signed=True)
# A numeric(…, 2) as PostgreSQL's numeric_send writes it: digit count, weight, sign and display
# scale, then base-10000 digits, most significant first. Five digits of weight 3 hold any value
# below 10^16 with two decimals; numeric_recv strips the leading zero digits.
NUMERIC_CENTS_DIGITS = 5
COPY_TYPES: dict[str, str | tuple[str, int]] = {
    "int8": ">i8",
    "int4": ">i4",
    "float8": ">f8",
    "cents": (">i2", 4 + NUMERIC_CENTS_DIGITS),
}


def copy_rows_binary(table: str, columns: list[tuple[str, str, np.ndarray]], *, chunk: int = 200_000) -> None:
    """Write rows into `table` with binary COPY: `columns` are (column name, kind, values),
    kind one of COPY_TYPES ("cents": integer cents into a numeric with two decimals, ≥ 0)."""
    dtype: list[tuple] = [("fields", ">i2")]
    for name, kind, _values in columns:
        dtype += [(f"{name}_length", ">i4"), (name, COPY_TYPES[kind])]
    quoted = ", ".join(connection.ops.quote_name(name) for name, _kind, _values in columns)
    sql = f"COPY {connection.ops.quote_name(table)} ({quoted}) FROM STDIN WITH (FORMAT binary)"
    total = len(columns[0][2]) if columns else 0
    # COPY goes around Django's execute wrappers: the cached lists showing `table` are stale now.
    bump_written(sql)
    with connection.cursor() as cursor:
        for start in range(0, total, chunk):
            rows = np.empty(min(chunk, total - start), dtype=dtype)
            rows["fields"] = len(columns)
            for name, kind, values in columns:
                part = values[start : start + chunk]
                rows[f"{name}_length"] = rows.dtype[name].itemsize
                rows[name] = _numeric_cents(part) if kind == "cents" else part
            cursor.copy_expert(sql, io.BytesIO(COPY_HEADER + rows.tobytes() + COPY_TRAILER))


def _numeric_cents(cents: np.ndarray) -> np.ndarray:
    whole, fraction = np.divmod(cents.astype(np.int64), 100)
    encoded = np.empty((len(cents), 4 + NUMERIC_CENTS_DIGITS), dtype=np.int64)
    encoded[:, :4] = (NUMERIC_CENTS_DIGITS, NUMERIC_CENTS_DIGITS - 2, 0, 2)  # digits, weight, positive, scale 2
    for position in range(NUMERIC_CENTS_DIGITS - 1):  # the whole part, 10^12 … 10^0
        encoded[:, 4 + position] = whole // 10_000 ** (NUMERIC_CENTS_DIGITS - 2 - position) % 10_000
    encoded[:, -1] = fraction * 100  # the cents, as the first base-10000 digit after the point
    return encoded
