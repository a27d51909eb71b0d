"""The CSV export of a CLV run's scores (manage.py clv_export), read as a stream."""

from collections.abc import Iterator

from django.db.models import QuerySet

from ..models import ClvScore

EXPORT_COLUMNS = [
    "customer_ref",
    "frequency",
    "recency",
    "T",
    "monetary_value",
    "p_alive",
    "expected_purchases",
    "expected_average_value",
    "clv",
]
FETCH_ROWS = 5000


def clv_export_rows(scores: QuerySet[ClvScore]) -> Iterator[list]:
    """One list per score in EXPORT_COLUMNS' order, by customer id; customer_ref is the
    customer's external reference, or its id when it has none."""
    rows = scores.order_by("customer_id").values_list(
        "customer_id",
        "customer__external_ref",
        "frequency",
        "recency",
        "T",
        "monetary_value",
        "p_alive",
        "expected_purchases",
        "expected_average_value",
        "clv",
    )
    for customer_id, external_ref, *figures in rows.iterator(chunk_size=FETCH_ROWS):
        yield [external_ref or customer_id, *figures]
