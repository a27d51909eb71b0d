"""Reading customer import files: decode CSV or XLSX bytes into an ImportTable,
and keep uploads between the steps of the web import.

An upload is stored under MEDIA_ROOT/imports/ with a random name; that name is
the only thing the session (or a task's arguments) carries from step to step.
"""

import codecs
import contextlib
import csv
import io
import re
import secrets
import warnings
import zipfile
from collections.abc import Generator, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

import openpyxl
from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

STORAGE_DIR = "imports"
EXTENSIONS = ("csv", "xlsx")
_STORED_NAME = re.compile(r"^imports/[0-9a-f]{32}\.(csv|xlsx)$")
# A guard against decompression bombs and runaway files.
MAX_ROWS = 500_000
# Uploads nobody finished importing are deleted after this long.
_KEEP_UPLOADS = timedelta(days=1)
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LOOKS_LIKE_DATA = re.compile(r"^([^@\s]+@[^@\s]+|[-+]?[\d.,]+|\d{1,4}[-./]\d{1,2}[-./]\d{1,4}.*)$")


class ImportFileError(Exception):
    """The file (or mapping) cannot be imported at all; `message` tells the user why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ImportTable:
    """A parsed file: header names and the non-blank data rows with their row
    number in the file (the header row is row 1, as in a spreadsheet)."""

    filename: str
    headers: list[str]
    rows: list[tuple[int, list[str]]]

    @property
    def row_count(self) -> int:
        return len(self.rows)

    def samples(self, column: int, limit: int = 3) -> list[str]:
        values = (cells[column] for _number, cells in self.rows[:50] if column < len(cells) and cells[column])
        return list(dict.fromkeys(values))[:limit]


@dataclass(frozen=True)
class StoredImport:
    name: str  # the storage name, e.g. "imports/3f2a….csv"; the only thing kept between steps
    table: ImportTable


def import_file_store(*, upload) -> StoredImport:
    """Check an uploaded file and keep it under MEDIA_ROOT/imports/ with a random name."""
    import_files_prune()
    _check_size(upload.size)
    data = upload.read()
    table = import_table_read(data=data, filename=upload.name)
    name = default_storage.save(f"{STORAGE_DIR}/{secrets.token_hex(16)}.{_extension(upload.name)}", ContentFile(data))
    return StoredImport(name=name, table=table)


def import_file_open(name: str, *, display_name: str = "") -> ImportTable:
    """Read a stored file back. `name` comes from the session or a task: accept
    only names this module generated, never a path."""
    if not isinstance(name, str) or not _STORED_NAME.match(name):
        raise ImportFileError(_("The uploaded file is no longer available. Upload it again."))
    try:
        with default_storage.open(name, "rb") as stored:
            data = stored.read(settings.CRM_IMPORT_MAX_BYTES + 1)
    except FileNotFoundError:
        raise ImportFileError(_("The uploaded file is no longer available. Upload it again.")) from None
    return replace(import_table_read(data=data, filename=name), filename=display_name or name)


def import_file_claim(name: str) -> bool:
    """Mark a stored upload as handed to an import; False when it already was
    (a double submit), so the same file is never imported twice at once."""
    return cache.add(f"customers-import-claim:{name}", True, timeout=int(_KEEP_UPLOADS.total_seconds()))


def import_file_release(name: str) -> None:
    """Nothing was written (errors): the user may import the file again."""
    cache.delete(f"customers-import-claim:{name}")


def import_file_delete(name: str) -> None:
    if isinstance(name, str) and _STORED_NAME.match(name):
        default_storage.delete(name)


def import_files_prune(*, older_than: timedelta = _KEEP_UPLOADS) -> int:
    """Delete stored uploads nobody finished importing."""
    try:
        _dirs, files = default_storage.listdir(STORAGE_DIR)
    except FileNotFoundError:
        return 0
    cutoff = timezone.now() - older_than
    names = [f"{STORAGE_DIR}/{filename}" for filename in files]
    old = [name for name in names if _STORED_NAME.match(name) and default_storage.get_modified_time(name) < cutoff]
    for name in old:
        default_storage.delete(name)
    return len(old)


def import_table_read(*, data: bytes, filename: str) -> ImportTable:
    """Parse CSV (UTF-8 with or without BOM, UTF-16 with BOM; delimiter sniffed)
    or XLSX bytes. Any problem raises ImportFileError with one clear message."""
    extension = _extension(filename)
    _check_size(len(data))
    if not data.strip():
        raise ImportFileError(_("The file is empty."))
    records = _xlsx_records(data) if extension == "xlsx" else _csv_records(data)
    with contextlib.closing(records):
        return _table_from_records(records, filename)


def _extension(filename: str) -> str:
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension not in EXTENSIONS:
        raise ImportFileError(_("Upload a CSV (.csv) or Excel (.xlsx) file."))
    return extension


def _check_size(size: int) -> None:
    if size > settings.CRM_IMPORT_MAX_BYTES:
        raise ImportFileError(
            _("The file is too large; the limit is %(size)s.") % {"size": filesizeformat(settings.CRM_IMPORT_MAX_BYTES)}
        )


def _csv_records(data: bytes) -> Generator[list[str], None, None]:
    text = _decode(data)
    delimiter = _sniff_delimiter(text)
    try:
        yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    except csv.Error as error:
        raise ImportFileError(_("The CSV file could not be read: %(error)s.") % {"error": error}) from None


def _decode(data: bytes) -> str:
    binary = ImportFileError(_("This does not look like a CSV file: it contains binary data."))
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    elif b"\x00" in data:
        raise binary
    else:
        encoding = "utf-8-sig"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        raise ImportFileError(
            _("The file is not UTF-8 text. Save it as “CSV UTF-8” (or as .xlsx) and upload it again.")
        ) from None
    if "\x00" in text:
        raise binary
    return text


def _sniff_delimiter(text: str) -> str:
    sample = text[:16384]
    if "\n" in sample:
        sample = sample[: sample.rindex("\n")]
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        first_line = sample.split("\n", 1)[0]
        return max(",;\t", key=first_line.count)


def _xlsx_records(data: bytes) -> Generator[Sequence[object], None, None]:
    invalid = ImportFileError(_("This is not a valid Excel (.xlsx) file."))
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise invalid
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions it skips
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # an untrusted file can break the parser in many ways: all mean "invalid"
        raise invalid from None
    try:
        if not workbook.worksheets:
            raise invalid
        yield from workbook.worksheets[0].iter_rows(values_only=True)
    except ImportFileError:
        raise
    except Exception:
        raise invalid from None
    finally:
        workbook.close()


def _table_from_records(records, filename: str) -> ImportTable:
    headers = None
    rows: list[tuple[int, list[str]]] = []
    for number, record in enumerate(records, start=1):
        cells = [_clean_cell(value) for value in record]
        if not any(cells):
            continue
        if headers is None:
            headers = _headers(cells)
            continue
        if len(rows) >= MAX_ROWS:
            raise ImportFileError(
                _("The file has more than %(max)d rows; split it into smaller files.") % {"max": MAX_ROWS}
            )
        rows.append((number, cells))
    if headers is None:
        raise ImportFileError(_("The file is empty."))
    if not rows:
        raise ImportFileError(_("The file has a header row but no customers below it."))
    return ImportTable(filename=filename, headers=headers, rows=rows)


def _headers(cells: list[str]) -> list[str]:
    if any(_LOOKS_LIKE_DATA.match(cell) for cell in cells if cell):
        raise ImportFileError(
            _(
                "The first row must name the columns (such as Last name, Email), but it looks like data. "
                "Add a header row."
            )
        )
    return [cell or _("Column %(number)d") % {"number": index} for index, cell in enumerate(cells, start=1)]


def _clean_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, datetime):
        text = value.date().isoformat() if value.time() == time() else value.isoformat()
    elif isinstance(value, date):
        text = value.isoformat()
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    else:
        text = str(value)
    text = _CONTROL_CHARS.sub("", text).strip()
    # Undo the export's formula neutralisation ("'=…" -> "=…"): values stay plain text here.
    if len(text) > 1 and text[0] == "'" and text[1] in "=+-@":
        text = text[1:]
    return text
