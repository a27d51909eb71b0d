"""Writing checked order rows, set-based.

PostgreSQL: the checked rows are in a TEMP staging table (order_import_sql fills it);
one UPDATE ... FROM (only the orders whose values change) and one INSERT ... SELECT
for the rows whose (customer, order_ref) is not an order yet. The same staging
table answers a dry run's "how many would be updated" in one join.

Other databases (SQLite): per chunk of the spool, one lookup of the existing
orders, then one executemany UPDATE (for the orders whose values change) and bulk_create.

The SQL text only ever holds table and column names from the models, quoted by
the backend; values always travel as parameters or through COPY.
"""

import csv
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import cast

from django.db import connection
from django.db.models import Field

from crm_project.helpers import chunks
from imports import sql

from ..models import Order
from .order_import_rows import OrderRow
from .stats import customer_stats_add_inserted

CHUNK = 5000
UPDATED_FIELDS = ["ordered_at", "status", "currency", "total"]
SPOOL_COLUMNS = ("row_number", "customer_id", "customer_ref", "order_ref", "ordered_at", "status", "currency", "total")
STAGING = "sales_order_import_staging"
REFS = "sales_order_import_refs"  # customer_ref -> customer_id (code 0: usable), for the rows in STAGING


def spool_record(row: OrderRow) -> tuple:
    customer_id = "" if row.customer_id is None else row.customer_id
    moment = row.ordered_at.isoformat()
    return (row.number, customer_id, row.customer_ref, row.order_ref, moment, row.status, row.currency, row.total)


def read_spool(spool) -> Iterator[OrderRow]:
    spool.seek(0)
    for number, customer_id, customer_ref, order_ref, moment, status, currency, total in csv.reader(spool):
        yield OrderRow(
            number=int(number),
            customer_ref=customer_ref,
            order_ref=order_ref,
            ordered_at=datetime.fromisoformat(moment),
            status=status,
            currency=currency,
            total=Decimal(total),
            customer_id=int(customer_id) if customer_id else None,
        )


# --- any database ---------------------------------------------------------------------------------
def existing_orders(rows: list[OrderRow]) -> dict[tuple[int, str], Order]:
    """The orders that have these rows' (customer, order_ref)."""
    pairs = {(row.customer_id, row.order_ref) for row in rows if row.order_ref and row.customer_id}
    found = {}
    # Two IN lists per query (ids and refs): together under SQLite's 999 variables.
    for chunk in sql.lookups(sorted(pairs), sql.lookup_size() // 2):
        ids, refs = {pair[0] for pair in chunk}, {pair[1] for pair in chunk}
        candidates = Order.objects.filter(customer_id__in=sql.among(list(ids)), order_ref__in=sql.among(list(refs)))
        for order in candidates.only("pk", "customer", "order_ref", *UPDATED_FIELDS):
            if (order.customer_id, order.order_ref) in pairs:
                found[(order.customer_id, order.order_ref)] = order
    return found


def write_bulk(spool, new_ids: dict[str, int], *, now) -> int:
    """Update the orders that exist (when a value changes), bulk_create the others; return how many were created."""
    created = 0
    for rows in chunks(read_spool(spool), CHUNK):
        for row in rows:
            if row.customer_id is None:
                row.customer_id = new_ids[row.customer_ref]
        existing = existing_orders(rows)
        changed, new = [], []
        for row in rows:
            order = existing.get((row.customer_id, row.order_ref)) if row.order_ref else None
            if order is None:
                new.append(
                    Order(
                        customer_id=row.customer_id,
                        order_ref=row.order_ref,
                        ordered_at=row.ordered_at,
                        status=row.status,
                        currency=row.currency,
                        total=row.total,
                        source=Order.Source.IMPORT,
                        created_at=now,
                    )  # fmt: skip
                )
            elif (order.ordered_at, order.status, order.currency, order.total) != (
                row.ordered_at, row.status, row.currency, row.total,
            ):  # fmt: skip
                order.ordered_at, order.status, order.currency, order.total = (
                    row.ordered_at, row.status, row.currency, row.total,
                )  # fmt: skip
                changed.append(order)
        _update_many(changed)
        Order.objects.bulk_create(new, batch_size=CHUNK)
        created += len(new)
    return created


def _update_many(orders: list[Order]) -> None:
    """One UPDATE per order, sent with executemany (bulk_update's CASE WHEN is far slower on SQLite)."""
    if not orders:
        return
    q = connection.ops.quote_name
    fields = [cast(Field, Order._meta.get_field(name)) for name in UPDATED_FIELDS]
    assignments = ", ".join(f"{q(cast(str, field.column))} = %s" for field in fields)
    sql = f"UPDATE {q(Order._meta.db_table)} SET {assignments} WHERE {q(cast(str, Order._meta.pk.column))} = %s"  # noqa: S608 - quoted model identifiers only
    params = [[field.get_db_prep_save(getattr(order, field.attname), connection) for field in fields] + [order.pk]
              for order in orders]  # fmt: skip
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


# --- PostgreSQL -------------------------------------------------------------------------------------
def _names() -> dict[str, str]:
    q = connection.ops.quote_name
    fields = ("customer", "order_ref", "ordered_at", "status", "currency", "total", "deal", "source", "created_at")
    names = {name: q(cast(str, cast(Field, Order._meta.get_field(name)).column)) for name in fields}
    names.update(orders=q(Order._meta.db_table))
    # The staged rows with their customers' ids (r.customer_id).
    names["staged"] = f"{STAGING} s JOIN {REFS} r ON r.customer_ref = s.customer_ref"
    # "Order o is the staged row s's order" (the partial unique index's condition included, so it is used).
    names["match"] = (
        f"o.{names['order_ref']} <> '' AND o.{names['customer']} = r.customer_id "
        f"AND o.{names['order_ref']} = s.order_ref"
    )
    return names


def postgresql_count_existing() -> int:
    """How many staged rows match an order already (a dry run's "would be updated")."""
    n = _names()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM {n['staged']} JOIN {n['orders']} o ON {n['match']}"  # noqa: S608 - quoted model identifiers only
        )
        return cursor.fetchone()[0]


def postgresql_write(*, new_ids: dict[str, int], now) -> int:
    """Upsert the staged rows (`new_ids`: the customers just created, by reference) and bring their
    customers' figures up to date; return how many orders were created."""
    n = _names()
    if new_ids:
        sql.copy_rows(table=REFS, columns=["customer_ref", "customer_id", "code"],
                      rows=((ref, pk, 0) for ref, pk in new_ids.items()))  # fmt: skip
    with connection.cursor() as cursor:
        # Orders re-imported unchanged (a nightly full export) are left alone: no new row versions.
        cursor.execute(
            f"UPDATE {n['orders']} o SET {n['ordered_at']} = s.ordered_at, {n['status']} = s.status, "  # noqa: S608 - quoted model identifiers only
            f"{n['currency']} = s.currency, {n['total']} = s.total FROM {n['staged']} "
            f"WHERE {n['match']} AND (o.{n['ordered_at']}, o.{n['status']}, o.{n['currency']}, o.{n['total']}) "
            f"IS DISTINCT FROM (s.ordered_at, s.status, s.currency, s.total) RETURNING o.{n['customer']}"
        )
        changed = [customer_id for (customer_id,) in cursor.fetchall()]
        insert = (
            f"INSERT INTO {n['orders']} ({n['customer']}, {n['order_ref']}, {n['ordered_at']}, {n['status']}, "  # noqa: S608 - quoted model identifiers only
            f"{n['currency']}, {n['total']}, {n['source']}, {n['created_at']}, {n['deal']}) "
            "SELECT r.customer_id, s.order_ref, s.ordered_at, s.status, s.currency, s.total, %s, %s, NULL "
            f"FROM {n['staged']} "
            f"WHERE s.order_ref = '' OR NOT EXISTS (SELECT 1 FROM {n['orders']} o WHERE {n['match']}) "
            f"ORDER BY s.row_number RETURNING {n['customer']}, {n['ordered_at']}, {n['status']}, {n['total']}"
        )
        # The customers' figures (sales.CustomerStats) in the same statement, then those of the changed orders.
        created = customer_stats_add_inserted(
            cursor=cursor, insert=insert, params=[Order.Source.IMPORT.value, now], changed=changed
        )
        cursor.execute(f"DROP TABLE {STAGING}")
    return created
