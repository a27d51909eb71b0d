"""Customer export: the same rows for CSV (streamed) and XLSX (openpyxl write-only).

Cells that a spreadsheet would run as a formula (starting with =, +, -, @, a
tab or a carriage return) get a leading apostrophe; the importer removes it
again, so an export can be imported back unchanged.
"""

import csv
from collections.abc import Iterable, Iterator

import openpyxl
from django.db.models import QuerySet
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from crm_project.csv_export import neutralise

from ..models import Customer, CustomField

COLUMNS = (
    "id", "external_ref", "first_name", "last_name", "email", "phone", "company", "job_title", "street", "city",
    "postal_code", "country", "lifecycle_stage", "source", "email_consent", "owner", "team", "tags", "created_at",
)  # fmt: skip
CHUNK_SIZE = 2000


def customers_export_rows(queryset: QuerySet[Customer], custom_fields: list[CustomField]) -> Iterator[list]:
    """The header row, then one row per customer; custom fields follow the
    fixed columns, headed by their key. Reads in chunks (tags prefetched per chunk)."""
    yield [*COLUMNS, *(field.key for field in custom_fields)]
    customers = queryset.select_related("company", "owner", "team").prefetch_related("tags")
    for customer in customers.iterator(chunk_size=CHUNK_SIZE):
        yield [neutralise(value) for value in _row(customer, custom_fields)]


def _row(customer: Customer, custom_fields: list[CustomField]) -> list:
    return [
        customer.pk,
        customer.external_ref,
        customer.first_name,
        customer.last_name,
        customer.email,
        customer.phone,
        customer.company.name if customer.company else "",
        customer.job_title,
        customer.street,
        customer.city,
        customer.postal_code,
        customer.country,
        customer.lifecycle_stage,
        customer.source,
        customer.email_consent,
        customer.owner.username if customer.owner else "",
        customer.team.name if customer.team else "",
        ", ".join(sorted(tag.name for tag in customer.tags.all())),
        customer.created_at.isoformat(),
        *(customer.custom_data.get(field.key, "") for field in custom_fields),
    ]


class _Echo:
    """A write-only file for csv.writer that hands each line back."""

    def write(self, value: str) -> str:
        return value


def customers_export_csv(rows: Iterable[list]) -> Iterator[str]:
    """CSV lines, starting with a BOM so that spreadsheet programs read UTF-8."""
    writer = csv.writer(_Echo())
    yield "\ufeff"
    for row in rows:
        yield writer.writerow(row)


def customers_export_xlsx(rows: Iterable[list], file) -> None:
    """Write the rows as one sheet to a binary file object."""
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Customers")
    for row in rows:
        # Text starting with "=" would be stored as a formula; neutralise() has prefixed it already.
        sheet.append([_xlsx_value(value) for value in row])
    workbook.save(file)


def _xlsx_value(value):
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    if isinstance(value, dict | list):
        return str(value)
    return value
