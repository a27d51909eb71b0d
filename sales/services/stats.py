"""Per-customer order figures (sales.CustomerStats), rebuilt set-based from
paid orders: one DELETE and one INSERT … SELECT, never a loop over customers."""

from collections.abc import Iterable

from django.db import connection, transaction

from ..models import CustomerStats, Order

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
