"""Reading CSV and XLSX files as streams of records, within the limits.

Nothing here holds a whole file: CSV is read one physical line at a time (a line
longer than a row may be is refused before it is read whole), with strict quoting so
an unterminated quote is an error instead of fields silently merged; XLSX goes through
openpyxl's read-only mode after its zip directory is checked (unpacked size, packing
ratio, the declared sheet size), so a zip bomb is refused before one byte is inflated.
"""

import codecs
import contextlib
import csv
import io
import re
import warnings
import zipfile
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, BinaryIO

import numpy as np
import openpyxl
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from .limits import Limits

EXTENSIONS = ("csv", "xlsx")
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ROW = re.compile(rb'<(?:\w+:)?row\b(?:[^>]*?\br="(\d+)")?')
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="[A-Z]*\d*:?([A-Z]*)(\d*)"')
# Members this small are never a bomb on their own; their ratio is not checked.
_SMALL_MEMBER = 1024 * 1024


class ImportFileError(Exception):
    """The file (or mapping) cannot be imported at all; `message` tells the user why. Nothing is written."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ImportMappingError(ImportFileError):
    """The column mapping is wrong or out of date: the user maps the columns again."""


def extension_of(filename: str, extensions: tuple[str, ...] = EXTENSIONS) -> str:
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension not in extensions:
        raise ImportFileError(
            _("Upload a CSV (.csv) file.")
            if extensions == ("csv",)
            else _("Upload a CSV (.csv) or Excel (.xlsx) file.")
        )
    return extension


def check_size(size: int, limits: Limits) -> None:
    if size > limits.max_bytes:
        raise ImportFileError(
            _("The file is too large; the limit is %(size)s.") % {"size": filesizeformat(limits.max_bytes)}
        )


def precheck(stream: Any, *, extension: str, limits: Limits) -> int:
    """The checks that cost next to nothing, made before a file is accepted: for XLSX the
    zip directory, for CSV the encoding and the header row (its column count and cell
    lengths). Returns the bytes a full read would work through (unpacked, for XLSX)."""
    stream = getattr(stream, "file", stream)
    if extension == "xlsx":
        return _xlsx_precheck(stream, limits)
    with contextlib.closing(records(stream, extension="csv", limits=limits)) as header:
        next(header, None)
    stream.seek(0, io.SEEK_END)
    return stream.tell()


def records(stream: Any, *, extension: str, limits: Limits) -> Generator[tuple[int, list[str]], None, None]:
    """(record number, cleaned cells) for every record, blank ones included (the header is
    record 1 when it comes first). Raises ImportFileError at the first limit crossed."""
    stream = getattr(stream, "file", stream)  # a Django File or upload: the file object inside
    from_csv = extension != "xlsx"
    raw: Generator[Any, None, None] = _csv_records(stream, limits) if from_csv else _xlsx_records(stream, limits)
    with contextlib.closing(raw):
        for number, values in enumerate(raw, start=1):
            if number > limits.max_rows + 1:
                raise ImportFileError(_too_many_rows(limits))
            if len(values) > limits.max_columns:
                raise ImportFileError(_too_many_columns(number, len(values), limits))
            if from_csv:  # strings, each already held to the cell limit by the csv module
                yield number, _clean_csv_record(values)
            else:
                yield number, [clean_cell(value, number=number, limits=limits) for value in values]


def _too_many_columns(number: int, count: int, limits: Limits) -> str:
    return _("Row %(row)d has %(count)s columns; the limit is %(max)d columns.") % {
        "row": number,
        "count": f"{count:,}",
        "max": limits.max_columns,
    }


def clean_cell(value, *, number: int = 0, limits: Limits | None = None) -> str:
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
    if limits is not None and len(text) > limits.max_cell_chars:
        raise ImportFileError(_cell_too_long(number, limits))
    text = _CONTROL_CHARS.sub("", text).strip()
    # Undo the export's formula neutralisation ("'=…" -> "=…"): values stay plain text here.
    if len(text) > 1 and text[0] == "'" and text[1] in "=+-@":
        text = text[1:]
    return text


def clean_record(values: list[str]) -> list[str]:
    """A CSV record's cells, cleaned as `records` cleans them."""
    return _clean_csv_record(values)


def _clean_csv_record(values: list[str]) -> list[str]:
    joined = "".join(values)
    if joined.isprintable() and "'" not in joined:
        # Most rows: no control characters and no quote to undo, so cleaning is stripping
        # (mapped in C: a Python call per cell cost a third of reading a million rows).
        return list(map(str.strip, values))
    return [_clean_text(value) for value in values]


def _clean_text(text: str) -> str:
    """clean_cell for a CSV cell (already within the cell limit), without its slower branches."""
    text = text.strip() if text.isprintable() else _CONTROL_CHARS.sub("", text).strip()
    if text[:1] == "'" and len(text) > 1 and text[1] in "=+-@":
        return text[1:]
    return text


def _cell_too_long(number: int, limits: Limits) -> str:
    return _("A cell in row %(row)d is longer than %(max)s characters; that is the limit for one cell.") % {
        "row": number,
        "max": f"{limits.max_cell_chars:,}",
    }


# --- CSV -------------------------------------------------------------------------------------------
def _csv_records(stream: BinaryIO, limits: Limits) -> Generator[list[str], None, None]:
    stream.seek(0)
    head = stream.read(65536)
    stream.seek(0)
    if not head.strip():
        raise ImportFileError(_("The file is empty."))
    encoding = _encoding(head)
    first_line = head.decode(encoding, errors="ignore").split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)
    text = io.TextIOWrapper(stream, encoding=encoding, newline="")
    reader = csv.reader(_lines(text, limits), delimiter=delimiter, strict=True)
    number = 0
    try:
        while True:
            number += 1
            previous = csv.field_size_limit(limits.max_cell_chars)
            try:
                record = next(reader, None)
            except csv.Error as error:
                raise ImportFileError(_csv_problem(str(error), number, limits)) from None
            finally:
                csv.field_size_limit(previous)
            if record is None:
                return
            yield record
    except UnicodeDecodeError:
        raise ImportFileError(_("The file is not UTF-8 text. Save it as “CSV UTF-8” and upload it again.")) from None
    finally:
        text.detach()  # the caller owns the stream


def _lines(text: io.TextIOWrapper, limits: Limits) -> Iterator[str]:
    """Physical lines, none longer than a row may be (so a huge line is never read whole)."""
    longest = limits.max_columns * (limits.max_cell_chars + 3)
    number = 0
    while line := text.readline(longest + 1):
        number += 1
        if len(line) > longest:
            raise ImportFileError(
                _("Line %(line)d is longer than a row may be (%(max)s characters).")
                % {"line": number, "max": f"{longest:,}"}
            )
        if "\x00" in line:
            raise _binary()
        yield line


def _csv_problem(error: str, number: int, limits: Limits) -> str:
    if "field larger than field limit" in error:
        return _(
            'A cell in row %(row)d is longer than %(max)s characters (the limit for one cell), or a quote (") '
            "opened there is never closed."
        ) % {"row": number, "max": f"{limits.max_cell_chars:,}"}
    if "unexpected end of data" in error:
        return _('A quote (") opened in row %(row)d is never closed; the file ends inside it.') % {"row": number}
    if "NUL" in error:
        return str(_binary())
    return _('Row %(row)d could not be read (%(error)s). Check its quotes (").') % {"row": number, "error": error}


def _encoding(head: bytes) -> str:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in head:
        raise _binary()
    return "utf-8-sig"


def _binary() -> ImportFileError:
    return ImportFileError(_("This does not look like a CSV file: it contains binary data."))


# --- a plain CSV, for PostgreSQL's COPY -------------------------------------------------------------
# The bytes a plain file may hold: printable ASCII, line ends, and anything past ASCII (checked as
# UTF-8 apart). Deleting them leaves nothing of a plain file (bytes.translate runs in C).
_PLAIN_BYTES = bytes([10, 13, *(byte for byte in range(32, 256) if byte != 127)])
# A quoted cell both parsers read alike: the whole cell, on one line, without a quote inside. Each
# pattern starts with literal bytes (the delimiter or line end before the cell), which the regex
# engine finds fast; one led by a look-behind took 0.3 s for 8 MB.
_QUOTED_CELL = rb'"[^"\r\n]*"(?=%s|\r?\n|$)'
_QUOTED_CELLS = {
    delimiter: tuple(
        (re.compile(re.escape(before) + _QUOTED_CELL % re.escape(delimiter.encode())), before + b"q")
        for before in (delimiter.encode(), b"\n")
    )
    for delimiter in ",;"
}
_FIRST_QUOTED_CELL = {delimiter: re.compile(_QUOTED_CELL % re.escape(delimiter.encode())) for delimiter in ",;"}
# What str.strip() takes off a cell beyond ASCII: a file holding any of them anywhere is not plain.
_UNICODE_SPACE = re.compile("[\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]")
_PLAIN_BLOCK = 1 << 20


@dataclass(frozen=True)
class PlainCsv:
    """A CSV file that PostgreSQL's COPY and the csv module read alike, cell for cell: UTF-8 without
    a control character, a blank row or a cell to clean (no space at either end, no formula quote to
    undo), quotes only around whole cells on one line (none inside, none empty), within the limits,
    the header on its first line and one line per row.
    Its rows are its lines after the header, numbered from 2 as `records` numbers them."""

    delimiter: str
    offset: int  # the first data row's first byte (after a byte-order mark and the header line)
    header: list[str]
    row_count: int
    head: list[tuple[int, list[str]]]


def plain_csv(stream: Any, *, limits: Limits, head_rows: int) -> PlainCsv | None:
    """The file as a PlainCsv, or None when it is not one (then `records` reads it, and reports
    whatever is wrong with it). Constant memory: one block of lines at a time, checked in C."""
    stream = getattr(stream, "file", stream)
    stream.seek(0)
    first = stream.read(_PLAIN_BLOCK)
    start = len(codecs.BOM_UTF8) if first.startswith(codecs.BOM_UTF8) else 0
    end = first.find(b"\n", start)
    if end < 0:
        return None
    crlf = first[end - 1 : end] == b"\r"
    try:
        header_line = first[start:end].decode("utf-8").removesuffix("\r")
    except UnicodeDecodeError:
        return None
    delimiter = max(",;\t", key=header_line.count)  # as _csv_records chooses it
    if delimiter == "\t":
        return None
    header = _split(header_line, delimiter)
    if len(header) > limits.max_columns or not _plain_lines(first[start : end + 1], delimiter, len(header), limits,
                                                               crlf=crlf):  # fmt: skip
        return None
    stream.seek(end + 1)
    head: list[tuple[int, list[str]]] = []
    rows, carry = 0, b""
    while True:
        block = stream.read(_PLAIN_BLOCK)
        if block:
            data = carry + block
            cut = data.rfind(b"\n") + 1
            lines, carry = data[:cut], data[cut:]
            if len(carry) > limits.max_cell_chars:  # a line longer than a cell may be: not read on
                return None
        elif carry:
            lines, carry = carry, b""  # the last line, without a line end
        else:
            break
        if not lines:
            continue
        if not _plain_lines(lines, delimiter, len(header), limits, crlf=crlf):
            return None
        if len(head) < head_rows:
            text = lines.decode("utf-8").split("\r\n" if crlf else "\n")[: head_rows - len(head)]
            head += [(rows + index + 2, _split(line, delimiter)) for index, line in enumerate(text) if line]
        rows += lines.count(b"\n") + (not lines.endswith(b"\n"))
        if rows > limits.max_rows:
            return None
    if not rows:
        return None
    return PlainCsv(delimiter=delimiter, offset=end + 1, header=header, row_count=rows, head=head)


def _plain_lines(lines: bytes, delimiter: str, width: int, limits: Limits, *, crlf: bool) -> bool:
    """Whether these whole lines (the last one may lack its line end) are plain (see PlainCsv)."""
    if lines.translate(None, _PLAIN_BYTES):
        return False
    if not lines.isascii():
        try:
            if _UNICODE_SPACE.search(lines.decode("utf-8")):
                return False
        except UnicodeDecodeError:
            return False
    separator, original = delimiter.encode(), lines
    if b'"' in lines:
        # Only whole quoted cells, with no space or formula quote at their ends and none empty (a row of
        # empty quoted cells is blank); the checks below see them as one letter each.
        if b'""' in lines or b'" ' in lines or b' "' in lines or b"\"'" in lines:
            return False
        lines = _FIRST_QUOTED_CELL[delimiter].sub(b"q", lines, count=1) if lines[:1] == b'"' else lines
        for pattern, replacement in _QUOTED_CELLS[delimiter]:
            lines = pattern.sub(replacement, lines)
        if b'"' in lines:
            return False
    ends = lines.count(b"\n")
    if lines.count(b"\r") != (ends if crlf else 0) or (crlf and lines.count(b"\r\n") != ends):
        return False  # a lone carriage return, or line ends of two kinds
    newline = b"\r\n" if crlf else b"\n"
    if lines[:1] in (b" ", b"'", b"\r", b"\n") or lines.endswith((b" ", b" " + newline)):
        return False  # a line starting blank, with a space or a formula quote, or ending with a space
    cell_edges = (separator + b" ", b" " + separator, b" " + newline, b"\n ", separator + b"'", b"\n'")
    if (b" " in lines or b"'" in lines) and any(edge in lines for edge in cell_edges):
        return False
    if b"\n" + newline in lines:
        return False  # a blank line
    empty_cells = separator * (width - 1)  # a row of them is blank: the csv reader's rows skip it
    if width > 1 and (lines.startswith(empty_cells + newline) or b"\n" + empty_cells + newline in lines
                      or lines == empty_cells or lines.endswith(b"\n" + empty_cells)):  # fmt: skip
        return False
    return _longest_line(original) <= limits.max_cell_chars  # then no cell is longer, and no row


def _split(line: str, delimiter: str) -> list[str]:
    return next(csv.reader([line], delimiter=delimiter, strict=True))


def _longest_line(lines: bytes) -> int:
    ends = np.flatnonzero(np.frombuffer(lines, dtype=np.uint8) == 10)
    if not len(ends):
        return len(lines)
    gaps = np.diff(ends, prepend=-1)
    return int(max(gaps.max(), len(lines) - 1 - ends[-1]))


# --- XLSX ------------------------------------------------------------------------------------------
def _invalid_xlsx() -> ImportFileError:
    return ImportFileError(_("This is not a valid Excel (.xlsx) file."))


def _xlsx_precheck(stream: BinaryIO, limits: Limits) -> int:
    stream.seek(0)
    if not zipfile.is_zipfile(stream):
        raise _invalid_xlsx()
    try:
        with zipfile.ZipFile(stream) as archive:
            members = archive.infolist()
            _check_packing(members, limits)
            _check_declared_size(archive, members, limits)
    except zipfile.BadZipFile:
        raise _invalid_xlsx() from None
    return sum(member.file_size for member in members)


def _check_packing(members: list[zipfile.ZipInfo], limits: Limits) -> None:
    unpacked = sum(member.file_size for member in members)
    if unpacked > limits.max_unpacked_bytes:
        raise ImportFileError(
            _("Unpacked, this Excel file is %(size)s; the limit is %(max)s. Split it, or save it as CSV.")
            % {"size": filesizeformat(unpacked), "max": filesizeformat(limits.max_unpacked_bytes)}
        )
    packed = sum(member.compress_size for member in members)
    worst = max(
        [unpacked / max(packed, 1)]
        + [member.file_size / max(member.compress_size, 1) for member in members if member.file_size > _SMALL_MEMBER]
    )
    if worst > limits.max_packing_ratio and unpacked > _SMALL_MEMBER:
        raise ImportFileError(
            _(
                "This Excel file unpacks to %(ratio)s times its size; the limit is %(max)d times. "
                "Files like this are built to exhaust memory, so it was not opened."
            )
            % {"ratio": f"{worst:,.0f}", "max": limits.max_packing_ratio}
        )


def _check_declared_size(archive: zipfile.ZipFile, members: list[zipfile.ZipInfo], limits: Limits) -> None:
    """A sheet that declares more rows or columns than allowed is refused before it is read."""
    for member in members:
        if not member.filename.startswith("xl/worksheets/"):
            continue
        with archive.open(member) as sheet:
            found = _DIMENSION.search(sheet.read(4096))
        if not found:
            continue
        column, row = found.group(1).decode(), found.group(2)
        if row and int(row) > limits.max_rows + 1:
            raise ImportFileError(
                _(
                    "The sheet has %(rows)s rows (blank rows count too); the limit is %(max)s. "
                    "Split it into smaller files."
                )
                % {"rows": f"{int(row):,}", "max": f"{limits.max_rows:,}"}
            )
        if column and _column_number(column) > limits.max_columns:
            raise ImportFileError(_too_many_columns(1, _column_number(column), limits))


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


def _count_rows(stream: BinaryIO, limits: Limits) -> None:
    """Count the sheet's rows in its raw XML before openpyxl reads it: inflating and counting
    runs at C speed in constant memory, while openpyxl takes minutes (and keeps every row
    element it has read) over a few million blank rows. A row numbered past the limit (the
    gap before it would be read as blank rows) counts as that many."""
    with zipfile.ZipFile(stream) as archive:
        for member in archive.infolist():
            if not member.filename.startswith("xl/worksheets/"):
                continue
            rows = 0
            with archive.open(member) as sheet:
                while chunk := sheet.read(1 << 20):
                    # A tag split between two chunks goes uncounted: off by one per megabyte, harmless.
                    rows += chunk.count(b"<row") + chunk.count(b":row")
                    last = _ROW.match(chunk, max(chunk.rfind(b"<row"), 0))
                    numbered = int(last.group(1)) if last and last.group(1) else 0
                    if max(rows - 1, numbered - 1) > limits.max_rows:
                        raise ImportFileError(_too_many_rows(limits))


def _too_many_rows(limits: Limits) -> str:
    return _(
        "The file has more than %(max)s rows (blank rows count too); that is the limit. Split it into smaller files."
    ) % {"max": f"{limits.max_rows:,}"}


def _xlsx_records(stream: BinaryIO, limits: Limits) -> Generator[tuple, None, None]:
    _xlsx_precheck(stream, limits)
    stream.seek(0)
    _count_rows(stream, limits)
    stream.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions it skips
            workbook = openpyxl.load_workbook(stream, read_only=True, data_only=True)
    except Exception:  # an untrusted file can break the parser in many ways: all mean "invalid"
        raise _invalid_xlsx() from None
    try:
        if not workbook.worksheets:
            raise _invalid_xlsx()
        yield from workbook.worksheets[0].iter_rows(values_only=True)
    except ImportFileError:
        raise
    except GeneratorExit:
        raise
    except Exception:
        raise _invalid_xlsx() from None
    finally:
        workbook.close()
