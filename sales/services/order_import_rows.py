"""The order import's columns and row checks: its header rule and the cleaning of every cell.

Nothing here touches the database (order_import.py resolves customers and writes);
the import kit reads the file (streamed, within its limits). Rules, each pinned by a test:

- columns: customer_ref, ordered_at, total; optional order_ref, currency, status
  (names are case-insensitive; an unknown or repeated column is a file error, so a
  typo such as "orderref" cannot silently turn upserts into new orders);
- total: an exact decimal with at most 2 places ("12.5" ok; "1e3", "NaN", "1,000"
  and "1.500" are errors), zero is valid, negative only when the status is refunded;
- ordered_at: an ISO date (00:00 in settings.TIME_ZONE) or an ISO date-time (in
  TIME_ZONE without an offset; an offset or Z is respected); stored in UTC;
- currency: 3 letters, default settings.CRM_CURRENCY; status: paid (default),
  refunded or cancelled.
"""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext as _

from imports.services import ImportFileError

from ..models import Order

REQUIRED = ("customer_ref", "ordered_at", "total")
OPTIONAL = ("order_ref", "currency", "status")
COLUMNS = REQUIRED + OPTIONAL
MAX_REF = 100  # Customer.external_ref and Order.order_ref
MAX_INTEGER_DIGITS = 12  # Order.total is max_digits=14, decimal_places=2

_TOTAL = re.compile(r"[+-]?\d+(?:\.\d+)?")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:?\d{2})?")
_CURRENCY = re.compile(r"[A-Z]{3}")
_STATUSES = {"paid": Order.Status.PAID, "refunded": Order.Status.REFUNDED, "cancelled": Order.Status.CANCELLED}
_STATUSES["canceled"] = Order.Status.CANCELLED
_CENT = Decimal("0.01")


OrderImportFileError = ImportFileError  # the file cannot be imported at all; nothing is written


@dataclass(frozen=True, slots=True)
class RowError:
    row: int  # the row number in the file; the header is row 1, as in a spreadsheet
    column: str  # "" when the problem is the row as a whole
    message: str
    value: str = ""

    @property
    def field(self) -> str:  # the customer import's error partial reads `field`
        return self.column


@dataclass(slots=True)
class OrderRow:
    """One good row, cleaned. `customer_id` is filled in when the reference is resolved."""

    number: int
    customer_ref: str
    order_ref: str
    ordered_at: datetime  # aware, UTC
    status: str
    currency: str
    total: Decimal
    customer_id: int | None = None


def order_columns(cells: list[str]) -> list[str]:
    """The header row's cells as column names; a file error for an unknown, missing or repeated one.
    The kit hands over the first non-blank row only (an empty file is its own error)."""
    return list(_header(cells))


def _header(cells: list[str]) -> dict[str, int]:
    names = [cell.strip().lower().replace(" ", "_").replace("-", "_") for cell in cells]
    while names and not names[-1]:
        names.pop()  # trailing empty header cells (a trailing delimiter)
    unknown = [cells[index].strip() or "(empty)" for index, name in enumerate(names) if name not in COLUMNS]
    missing = [name for name in REQUIRED if name not in names]
    if unknown or missing:
        problem = (
            _("Unknown columns: %(names)s.") % {"names": ", ".join(unknown)}
            if unknown
            else _("Missing columns: %(names)s.") % {"names": ", ".join(missing)}
        )
        raise OrderImportFileError(
            problem
            + " "
            + _("The first row must name the columns: %(required)s, and optionally %(optional)s.")
            % {"required": ", ".join(REQUIRED), "optional": ", ".join(OPTIONAL)}
        )
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise OrderImportFileError(_("These columns appear twice: %(names)s.") % {"names": ", ".join(repeated)})
    return {name: index for index, name in enumerate(names)}


class RowParser:
    """Clean one record into an OrderRow, or the list of what is wrong with it."""

    def __init__(self, columns: dict[str, int]):
        self.width = len(columns)
        self.index = [columns.get(name) for name in COLUMNS]
        self.default_currency = settings.CRM_CURRENCY
        self.zone = ZoneInfo(settings.TIME_ZONE)

    def parse(self, number: int, cells: list[str]) -> tuple[OrderRow | None, list[RowError]]:
        errors: list[RowError] = []
        if len(cells) > self.width and any(cell.strip() for cell in cells[self.width :]):
            message = _("This row has more cells than the header has columns.")
            return None, [RowError(number, "", message)]
        customer_ref, ordered_at, total, order_ref, currency, status = (
            cells[index].strip() if index is not None and index < len(cells) else "" for index in self.index
        )
        customer_ref = self._ref(number, "customer_ref", customer_ref, errors, required=True)
        order_ref = self._ref(number, "order_ref", order_ref, errors, required=False)
        moment = self._ordered_at(number, ordered_at, errors)
        status_value = self._status(number, status, errors)
        currency_value = self._currency(number, currency, errors)
        amount = self._total(number, total, status_value, errors)
        if errors or moment is None or amount is None:  # either is None only with an error
            return None, errors
        return OrderRow(number, customer_ref, order_ref, moment, status_value, currency_value, amount), errors

    def _ref(self, number, column, value, errors, *, required) -> str:
        if not value and required:
            errors.append(RowError(number, column, _("This column is required.")))
        elif len(value) > MAX_REF:
            errors.append(RowError(number, column, _("At most %(max)d characters.") % {"max": MAX_REF}, value[:50]))
        return value

    def _ordered_at(self, number, value, errors) -> datetime | None:
        try:
            if _DATE.fullmatch(value):
                return datetime.combine(date.fromisoformat(value), time(), tzinfo=self.zone).astimezone(UTC)
            if _DATETIME.fullmatch(value):
                moment = datetime.fromisoformat(value)
                return (moment if moment.tzinfo else moment.replace(tzinfo=self.zone)).astimezone(UTC)
        except (ValueError, OverflowError):
            pass
        if not value:
            errors.append(RowError(number, "ordered_at", _("This column is required.")))
        else:
            message = _("Not a date (2024-03-31) or date and time (2024-03-31T14:30, optionally with +02:00 or Z).")
            errors.append(RowError(number, "ordered_at", message, value[:50]))
        return None

    def _status(self, number, value, errors) -> str:
        if not value:
            return Order.Status.PAID
        status = _STATUSES.get(value.lower())
        if status is None:
            errors.append(RowError(number, "status", _("Use paid, refunded or cancelled."), value[:50]))
            return ""
        return status

    def _currency(self, number, value, errors) -> str:
        if not value:
            return self.default_currency
        value = value.upper()
        if not _CURRENCY.fullmatch(value):
            errors.append(RowError(number, "currency", _("A currency is a 3-letter code such as EUR."), value[:50]))
        return value

    def _total(self, number, value, status, errors) -> Decimal | None:
        if not value:
            errors.append(RowError(number, "total", _("This column is required.")))
            return None
        if not _TOTAL.fullmatch(value):
            message = _("Not an amount: write digits with a dot for decimals, e.g. 1234.50 (no thousands separators).")
            errors.append(RowError(number, "total", message, value[:50]))
            return None
        integer, _dot, fraction = value.lstrip("+-").partition(".")
        if len(fraction) > 2:
            errors.append(RowError(number, "total", _("At most 2 decimal places."), value[:50]))
            return None
        if len(integer.lstrip("0")) > MAX_INTEGER_DIGITS:
            errors.append(RowError(number, "total", _("This amount is too large."), value[:50]))
            return None
        amount = Decimal(value).quantize(_CENT)
        if amount < 0 and status != Order.Status.REFUNDED:
            message = _("A negative total is only allowed when the status is refunded.")
            errors.append(RowError(number, "total", message, value[:50]))
            return None
        return amount if amount else Decimal("0.00")  # no "-0.00"
