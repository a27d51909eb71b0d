"""Order import: shop or ERP purchase history from a CSV file, at a million rows and more.

    result = orders_import(source=binary_file, filename="orders.csv", actor=user, dry_run=True)
    result = orders_import(table=kit_table, actor=user)     # a file the import kit stored and read

The `import_orders` command, the web import and the `sales.import_orders` job share it.
The import kit (imports/) reads the file once, within its limits, into a row table
(ORDERS tells it the header rule); then two streaming passes over that table; memory
holds one chunk of rows plus the map of customer references:

1. Check (no transaction, reads only, progress visible to others): clean every row
   (order_import_rows), resolve customer_ref to customers 5,000 references per query
   (remembered), reject a repeated (customer_ref, order_ref) pair, and spool the good
   rows to a temporary file.
2. Write (order_import_write), in ONE transaction: the missing customers
   (create_missing_customers), then the orders set-based: on PostgreSQL one COPY into a
   TEMP table, one UPDATE and one INSERT; elsewhere bulk_update/bulk_create per chunk.
   A dry run, or a file with bad rows and no skip_errors (`rejected`), writes nothing:
   it only counts what the write would do (on PostgreSQL in the staging table, rolled back).

A row with an order_ref upserts by (customer, order_ref); a row without one is always
a new order, even when it repeats another row. No timeline entry is written per order
(a million imported orders would bury every timeline): the run is recorded in the job
log (background runs), the command's output and the "sales.order_import" log. Each
customer the import creates gets its one "customer.created" entry.
"""

import csv
import logging
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import is_manager_or_admin
from accounts.selectors import team_for_owner
from crm_project.helpers import chunks
from customers import timeline
from customers.models import Customer, Interaction
from imports import services as kit
from imports import sql

from .order_import_rows import OrderImportFileError, OrderRow, RowError, RowParser, order_columns
from .order_import_sql import drop as postgresql_drop
from .order_import_sql import postgresql_check
from .order_import_write import (
    CHUNK,
    existing_orders,
    postgresql_count_existing,
    postgresql_write,
    spool_record,
    write_bulk,
)
from .stats import customer_stats_refresh

__all__ = [
    "ORDERS",
    "OrderImportFileError",
    "OrderImportResult",
    "RowError",
    "can_import_orders",
    "orders_import",
    "orders_import_store",
]

ORDERS = kit.ImportKind(
    prefix="orders",
    extensions=("csv",),
    headers=order_columns,
    no_rows_message=lambda: _("The file has a header row but no orders below it."),
)

logger = logging.getLogger("sales.order_import")

MAX_KEPT_ERRORS = 1000  # every bad row is counted; this many are kept for display
# What a customer reference that is not a usable customer resolves to.
_UNKNOWN, _DELETED, _OUT_OF_SCOPE = -1, -2, -3


@dataclass
class OrderImportResult:
    """What an import did or (dry run, rejected) would do if the bad rows were skipped."""

    filename: str = ""
    total: int = 0  # data rows in the file
    created: int = 0
    updated: int = 0
    new_customers: int = 0
    bad_rows: int = 0
    error_count: int = 0
    errors: list[RowError] = field(default_factory=list)  # the first MAX_KEPT_ERRORS, by row
    dry_run: bool = False
    rejected: bool = False
    seconds: float = 0.0

    @property
    def skipped(self) -> int:
        return self.bad_rows

    @property
    def counts(self) -> dict[str, int]:
        return {
            "created": self.created,
            "updated": self.updated,
            "skipped": self.skipped,
            "new_customers": self.new_customers,
        }

    def add_errors(self, errors: list[RowError]) -> None:
        self.bad_rows += len({error.row for error in errors})
        self.error_count += len(errors)
        room = MAX_KEPT_ERRORS - len(self.errors)
        if room > 0:
            self.errors.extend(sorted(errors, key=lambda error: error.row)[:room])


def can_import_orders(user) -> bool:
    return is_manager_or_admin(user)


def orders_import_store(*, upload) -> str:
    """Keep an upload and read it (the web flow leaves large files to the worker); return its name."""
    name = kit.upload_store(upload=upload, kind=ORDERS)
    try:
        kit.upload_prepare(name, kind=ORDERS, filename=upload.name)
    except OrderImportFileError:
        kit.upload_delete(name)
        raise
    return name


def orders_import(
    *,
    source: BinaryIO | None = None,
    table: kit.ImportTable | None = None,
    filename: str = "",
    actor: User | None,
    dry_run: bool = False,
    skip_errors: bool = False,
    create_missing_customers: bool = False,
    progress: Callable[[int, int | None], None] | None = None,
    expected_rows: int | None = None,
    on_written: Callable[["OrderImportResult"], None] | None = None,
) -> OrderImportResult:
    """Check every row; unless dry_run, write the good rows in one transaction.

    With bad rows and no skip_errors nothing is written (result.rejected). actor=None
    is the command line: every customer is reachable and created customers have no
    owner. `on_written` runs inside the write transaction (the job records its counts
    there, so a redelivered job never imports twice)."""
    if actor is not None and not can_import_orders(actor):
        raise PermissionDenied
    started = time.monotonic()
    if table is None:
        table = kit.table_from_stream(source, kind=ORDERS, filename=filename, upload_limit=False, plain=True)
    filename = filename or table.filename
    result = OrderImportResult(filename=filename, dry_run=dry_run)
    customers = _Customers(actor=actor, create_missing=create_missing_customers)
    try:
        if connection.vendor == "postgresql":
            _import_postgresql(table, result, customers, dry_run=dry_run, skip_errors=skip_errors, progress=progress,
                               expected_rows=expected_rows, on_written=on_written)  # fmt: skip
        else:
            _import_other(table, result, customers, dry_run=dry_run, skip_errors=skip_errors, progress=progress,
                          expected_rows=expected_rows, on_written=on_written)  # fmt: skip
    except IntegrityError:
        raise OrderImportFileError(
            _(
                "Some of these customers or orders changed while importing, so nothing was written. "
                "Run the import again."
            )
        ) from None
    result.seconds = time.monotonic() - started
    if progress:
        progress(result.total, result.total)
    logger.info(
        "Order import of %s by %s%s: %s rows, %s in %.1f s",
        filename, actor or "the command line", " (dry run)" if dry_run else "", result.total,
        "rejected" if result.rejected else result.counts, result.seconds,
    )  # fmt: skip
    return result


# --- pass 1: check ---------------------------------------------------------------------------
def _check(table: kit.ImportTable, spool, result: OrderImportResult, customers: "_Customers", *, progress,
           expected_rows) -> int:  # fmt: skip
    """Pass 1 (any database but PostgreSQL): every row checked, the good ones spooled and
    classified as new orders or updates, for the dry run's counts; return how many are good. (The kit
    refuses a file without rows, so there is at least one.)"""
    parser = RowParser({name: index for index, name in enumerate(table.headers)})
    writer = csv.writer(spool)
    seen: dict[str, int] = {}  # "customer_ref \x1f order_ref" -> the row it first appeared on
    good_rows = 0
    expected_rows = expected_rows or table.row_count
    for chunk in chunks(table.iter_rows(), CHUNK):
        errors: list[RowError] = []
        rows: list[OrderRow] = []
        for number, cells in chunk:
            row, row_errors = parser.parse(number, cells)
            if row is None:
                errors.extend(row_errors)
            else:
                rows.append(row)
        result.total += len(chunk)
        good = _resolve(rows, customers, seen, errors)
        good_rows += len(good)
        updates = len(existing_orders(good))
        result.created, result.updated = result.created + len(good) - updates, result.updated + updates
        writer.writerows(spool_record(row) for row in good)
        result.add_errors(errors)
        if progress:
            progress(result.total, expected_rows)
    spool.flush()
    return good_rows


def _resolve(rows: list[OrderRow], customers: "_Customers", seen: dict, errors: list[RowError]) -> list[OrderRow]:
    """Set each row's customer; keep the rows whose customer is usable and whose order_ref is new in the file."""
    customers.resolve({row.customer_ref for row in rows})
    good = []
    for row in rows:
        customer_id = customers.ids.get(row.customer_ref)  # None: a customer to create
        if customer_id is not None and customer_id < 0:
            errors.append(RowError(row.number, "customer_ref", _REF_MESSAGES[customer_id](), row.customer_ref[:50]))
            continue
        if row.order_ref:
            first = seen.setdefault(f"{row.customer_ref}\x1f{row.order_ref}", row.number)
            if first != row.number:
                message = _("Duplicate in file: row %(row)d has the same customer_ref and order_ref.") % {"row": first}
                errors.append(RowError(row.number, "order_ref", message, row.order_ref[:50]))
                continue
        row.customer_id = customer_id
        good.append(row)
    return good


_REF_MESSAGES = {
    _UNKNOWN: lambda: _("No customer has this external reference (choose to create missing customers to add them)."),
    _DELETED: lambda: _("The customer with this external reference was deleted."),
    _OUT_OF_SCOPE: lambda: _("The customer with this external reference is not one you may change."),
}


class _Customers:
    """customer_ref -> customer id, looked up in chunks and remembered for the whole file."""

    def __init__(self, *, actor: User | None, create_missing: bool):
        self.actor = actor
        self.create_missing = create_missing
        self.reachable = Customer.objects.editable_by(actor) if actor is not None else Customer.objects.all()
        self.ids: dict[str, int] = {}  # negative: one of _UNKNOWN, _DELETED, _OUT_OF_SCOPE
        self.new: dict[str, None] = {}  # references of the customers to create, in file order

    def resolve(self, refs: set[str]) -> None:
        todo = [ref for ref in refs if ref not in self.ids and ref not in self.new]
        for chunk in sql.lookups(todo):
            found = dict(self.reachable.filter(external_ref__in=sql.among(chunk)).values_list("external_ref", "pk"))
            self.ids.update(found)
            missing = [ref for ref in chunk if ref not in found]
            if not missing:
                continue
            deleted = Customer.all_objects.filter(external_ref__in=sql.among(missing)).values_list(
                "external_ref", "deleted_at"
            )
            taken = dict(deleted)
            for ref in missing:
                if ref in taken:
                    self.ids[ref] = _DELETED if taken[ref] else _OUT_OF_SCOPE
                elif self.create_missing:
                    self.new[ref] = None
                else:
                    self.ids[ref] = _UNKNOWN


# --- pass 2: write -----------------------------------------------------------------------------
def _import_postgresql(table, result: OrderImportResult, customers: "_Customers", *, dry_run: bool,
                       skip_errors: bool, progress, expected_rows, on_written) -> None:  # fmt: skip
    """Both passes set-based (order_import_sql, then order_import_write)."""
    try:
        good_rows = postgresql_check(
            table, result, customers, ref_messages=_REF_MESSAGES, progress=progress, expected_rows=expected_rows
        )
        result.new_customers = len(customers.new)
        result.rejected = bool(result.bad_rows) and not skip_errors and not dry_run
        with transaction.atomic():
            if dry_run or result.rejected:
                result.updated = postgresql_count_existing()
                result.created = good_rows - result.updated
                return
            new_ids = _create_customers(customers, filename=result.filename)
            result.created = postgresql_write(new_ids=new_ids, now=timezone.now())  # and the customers' figures
            result.updated = good_rows - result.created
            if on_written:
                on_written(result)
    finally:
        postgresql_drop()


def _import_other(table, result: OrderImportResult, customers: "_Customers", *, dry_run: bool, skip_errors: bool,
                  progress, expected_rows, on_written) -> None:  # fmt: skip
    """Pass 1 in Python, spooling the good rows; pass 2 with the ORM, per chunk."""
    with tempfile.TemporaryFile("w+", newline="", encoding="utf-8") as spool:
        _check(table, spool, result, customers, progress=progress, expected_rows=expected_rows)
        result.new_customers = len(customers.new)
        result.rejected = bool(result.bad_rows) and not skip_errors and not dry_run
        if dry_run or result.rejected:
            return
        with transaction.atomic():
            new_ids = _create_customers(customers, filename=result.filename)
            good_rows = result.created + result.updated
            created = write_bulk(spool, new_ids, now=timezone.now())
            result.created, result.updated = created, good_rows - created
            customer_stats_refresh()  # the imported orders' figures (set-based, all customers)
            if on_written:
                on_written(result)


def _create_customers(customers: "_Customers", *, filename: str) -> dict[str, int]:
    """Bare customers for the unknown references (last name = the reference), set-based."""
    ids: dict[str, int] = {}
    if not customers.new:
        return ids
    actor, now = customers.actor, timezone.now()
    team = team_for_owner(actor)
    summary = timeline.summary(action="customer.created", data={"file": filename})
    for chunk in chunks(list(customers.new), CHUNK):
        new = [
            Customer(
                last_name=ref,
                external_ref=ref,
                source=Customer.Source.IMPORT,
                owner=actor,
                team=team,
                lifecycle_stage=Customer.Stage.CUSTOMER,
                created_at=now,
            )
            for ref in chunk
        ]
        Customer.objects.bulk_create(new, batch_size=CHUNK)
        if connection.features.can_return_rows_from_bulk_insert:
            ids.update((customer.external_ref, customer.pk) for customer in new)
        else:  # pragma: no cover - every supported database returns the ids
            ids.update(Customer.objects.filter(external_ref__in=chunk).values_list("external_ref", "pk"))
        Interaction.objects.bulk_create(
            [
                Interaction(
                    customer_id=ids[ref],
                    kind=Interaction.Kind.SYSTEM,
                    action="customer.created",
                    summary=summary[:200],
                    user=actor,
                    occurred_at=now,
                    created_at=now,
                    data={"source": "order_import", "file": filename[:200]},
                )
                for ref in chunk
            ],
            batch_size=CHUNK,
        )
    return ids
