"""The consent export: every live customer with an email, their consent as
stored and where its latest change came from."""

from collections.abc import Iterator

from django.db.models import OuterRef, Subquery

from customers.models import ConsentEvent, Customer

CHUNK_SIZE = 2000


def consent_rows() -> Iterator[tuple[str, str, str, str]]:
    """(email, status, changed_at ISO or "", source or "") in one streamed query."""
    latest_source = (
        ConsentEvent.objects.filter(customer=OuterRef("pk")).order_by("-created_at", "-pk").values("source")[:1]
    )
    rows = (
        Customer.objects.exclude(email="")  # the live ones: soft-deleted rows are hidden
        .annotate(consent_source=Subquery(latest_source))
        .order_by("pk")
        .values_list("email", "email_consent", "email_consent_at", "consent_source")
    )
    for email, status, changed_at, source in rows.iterator(chunk_size=CHUNK_SIZE):
        yield email, status, changed_at.isoformat() if changed_at else "", source or ""
