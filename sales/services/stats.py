"""Per-customer order figures (sales.CustomerStats), rebuilt set-based from
paid orders: one DELETE and one INSERT … SELECT, never a loop over customers."""

from collections.abc import Iterable

from django.db import connection, transaction

from ..models import CustomerStats, Order

# Orders just inserted (the rows of `new`: customer_id, ordered_at, status, total) added to their
# customers' figures by PostgreSQL's upsert in the same statement, for the order import (which so
# never rescans every order). A data-modifying WITH runs once, read or not; the statement answers
# how many orders were inserted.
_ADD = """
WITH new AS ({insert}), added AS (
    INSERT INTO sales_customerstats AS s (customer_id, order_count, lifetime_spend, first_order_at, last_order_at)
    SELECT customer_id, COUNT(*), SUM(total), MIN(ordered_at), MAX(ordered_at)
    FROM new WHERE status = %s
    GROUP BY customer_id
    ON CONFLICT (customer_id) DO UPDATE SET
        order_count = s.order_count + EXCLUDED.order_count,
        lifetime_spend = s.lifetime_spend + EXCLUDED.lifetime_spend,
        first_order_at = LEAST(s.first_order_at, EXCLUDED.first_order_at),
        last_order_at = GREATEST(s.last_order_at, EXCLUDED.last_order_at)
)
SELECT count(*) FROM new
"""
# More customers than this with changed orders: rebuild everyone's figures (one scan) instead.
_REFRESH_ALL_OVER = 10_000

_INSERT = """
INSERT INTO sales_customerstats (customer_id, order_count, lifetime_spend, first_order_at, last_order_at)
SELECT customer_id, COUNT(*), SUM(total), MIN(ordered_at), MAX(ordered_at)
FROM sales_order WHERE status = %s {where}
GROUP BY customer_id
"""


@transaction.atomic
def customer_stats_refresh(*, customer_ids: Iterable[int] | None = None) -> None:
    """Rebuild the figures of these customers (all customers when None).

    Call it after any write to orders: creating, importing, refunding, deleting."""
    with connection.cursor() as cursor:
        if customer_ids is None:
            CustomerStats.objects.all().delete()
            cursor.execute(_INSERT.format(where=""), [Order.Status.PAID])
            return
        ids = sorted(set(customer_ids))
        if not ids:
            return
        CustomerStats.objects.filter(customer_id__in=ids).delete()
        for start in range(0, len(ids), 10_000):  # SQLite's bound-parameter limit
            chunk = ids[start : start + 10_000]
            placeholders = ", ".join(["%s"] * len(chunk))
            cursor.execute(_INSERT.format(where=f"AND customer_id IN ({placeholders})"), [Order.Status.PAID, *chunk])


def customer_stats_add_inserted(*, cursor, insert: str, params: list, changed: Iterable[int] = ()) -> int:
    """PostgreSQL: run `insert` (an INSERT INTO the orders … RETURNING customer_id, ordered_at, status,
    total) and add the orders it inserts to their customers' figures in the same statement; then
    rebuild the figures of the customers whose existing orders `changed`. Returns the orders inserted."""
    cursor.execute(_ADD.format(insert=insert), [*params, Order.Status.PAID])
    inserted = cursor.fetchone()[0]
    changed = sorted(set(changed))
    if len(changed) > _REFRESH_ALL_OVER:
        customer_stats_refresh()
    elif changed:
        customer_stats_refresh(customer_ids=changed)
    return inserted
