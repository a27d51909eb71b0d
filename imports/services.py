"""The import kit: keep an upload, read it ONCE into a row-limited table, hand that table to an import.

    name = upload_store(upload=upload, kind=CUSTOMERS)     # size, type and the cheap checks; kept under a random name
    if upload_needs_worker(name): job_enqueue(task=prepare_file, kwargs={"name": name, ...})  # imports.prepare_file
    else: upload_prepare(name, kind=CUSTOMERS, filename=upload.name)   # read once, within the limits
    table = table_open(name, kind=CUSTOMERS)                # headers, row count, first rows; iter_rows() streams

The upload lives under MEDIA_ROOT/imports/ as `<kind>-<random>.<ext>`; what was read from it
sits beside it as `<…>.rows` (CSV: row number, then the cleaned cells; blank rows left out)
and `<…>.json` (file name, headers, row count, the first rows). The storage name of the
upload is the only thing a session or a task's arguments carry between the steps.

A plain CSV on PostgreSQL (readers.PlainCsv) gets no row table: it is only checked (in C), and
the file itself goes to COPY (copy_into). Stored uploads then keep the upload and its `.json`
(which says the file is plain); commands and benches ask for it with table_from_stream(plain=True).

Each import supplies an ImportKind: its file prefix, the extensions it takes, how it turns
the header row into column names (and which headers it refuses), and what "no rows" means.
"""

import contextlib
import csv
import io
import json
import re
import secrets
import tempfile
import weakref
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from datetime import timedelta
from typing import Any

from django.core.cache import cache
from django.core.files import File
from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.translation import gettext as _

from . import readers, sql
from .limits import limits
from .readers import EXTENSIONS, ImportFileError, ImportMappingError

__all__ = [
    "EXTENSIONS",
    "ImportFileError",
    "ImportMappingError",
    "ImportKind",
    "ImportTable",
    "table_from_stream",
    "table_open",
    "upload_claim",
    "upload_delete",
    "upload_needs_worker",
    "upload_prepare",
    "upload_release",
    "upload_store",
    "uploads_prune",
]

STORAGE_DIR = "imports"
HEAD_ROWS = 50  # rows kept in the .json for examples and the preview
HEAD_CELL_CHARS = 200
PROGRESS_EVERY = 10_000
SPOOL_CHUNK_ROWS = 10_000
_NAME = re.compile(r"^imports/([a-z]+)-[0-9a-f]{32}\.(csv|xlsx)$")
_ANY_FILE = re.compile(r"^imports/[a-z]+-[0-9a-f]{32}\.(csv|xlsx)(\.rows|\.json)?$")
_KEEP_UPLOADS = timedelta(days=1)


@dataclass(frozen=True)
class ImportKind:
    """What one import tells the kit about its files."""

    prefix: str  # lower-case letters: "customers", "orders"
    no_rows_message: Callable[[], str]
    extensions: tuple[str, ...] = EXTENSIONS
    # Raw header cells -> column names; raises ImportFileError for a header the import refuses.
    headers: Callable[[list[str]], list[str]] = list


@dataclass(frozen=True)
class ImportTable:
    """A file as read: column names, the number of non-blank data rows, the first rows, and
    every row on demand (`iter_rows`, streamed from the stored copy). Row numbers are those
    of the file: the header row is row 1, as in a spreadsheet."""

    filename: str
    headers: list[str]
    row_count: int
    head: list[tuple[int, list[str]]]
    name: str = ""  # the upload's storage name; "" when the rows are in a temporary file (`spool`)
    spool: Any = field(default=None, compare=False, repr=False)
    # A plain CSV (readers.PlainCsv, on PostgreSQL, table_from_stream(plain=True)): no row table was
    # written; the rows are the file's own lines in `source`, read by COPY (copy_into).
    plain: readers.PlainCsv | None = None
    source: Any = field(default=None, compare=False, repr=False)

    @property
    def rows(self) -> list[tuple[int, list[str]]]:
        """Every row in a list: for small tables and tests. Imports stream with iter_rows()."""
        return list(self.iter_rows())

    def iter_rows(self) -> Iterator[tuple[int, list[str]]]:
        if self.plain is not None:
            yield from self._plain_rows()
            return
        if self.spool is not None:
            self.spool.seek(0)
            yield from _rows(self.spool)
            return
        try:
            stored = default_storage.open(_rows_name(self.name), "rb")
        except FileNotFoundError:
            raise _gone() from None
        with stored:
            text = _text(stored)
            try:
                yield from _rows(text)
            finally:
                text.detach()

    def copy_into(self, cursor, *, table: str, columns: list[str]) -> int:
        """COPY the rows into `table` (PostgreSQL), one text column per cell of the file (`columns`,
        in the file's order) and the row number in `row_number`; return how many rows COPY read.
        Raises the database's DataError when a row has more or fewer cells than `columns`.
        A plain CSV goes to COPY as it is, parsed by PostgreSQL, numbered by a sequence as COPY
        reads it (the rows are the file's lines); any other file's row table as it was stored."""
        names = ", ".join(columns)
        if self.plain is None:
            with self.open_rows() as rows:
                copy = f"COPY {table} (row_number, {names}) FROM STDIN WITH (FORMAT csv, FORCE_NOT_NULL ({names}))"
                return sql.copy_from(cursor, copy, rows)
        sequence = f"{table}_row_number"
        cursor.execute(f"DROP SEQUENCE IF EXISTS {sequence}")
        cursor.execute(f"CREATE TEMP SEQUENCE {sequence} START 2")  # row 1 is the header
        cursor.execute(f"ALTER TABLE {table} ALTER COLUMN row_number SET DEFAULT nextval('{sequence}')")
        cursor.execute(f"ALTER SEQUENCE {sequence} OWNED BY {table}.row_number")  # dropped with the table
        delimiter = {",": "','", ";": "';'"}[self.plain.delimiter]  # a plain file's delimiter is one of these
        with self._plain_source() as source:
            source.seek(self.plain.offset)
            return sql.copy_from(
                cursor,
                f"COPY {table} ({names}) FROM STDIN WITH (FORMAT csv, DELIMITER {delimiter}, FORCE_NOT_NULL ({names}))",
                source,
            )

    @contextlib.contextmanager
    def open_rows(self) -> Iterator[Any]:
        """The row table as the file it is stored in (CSV: row number, then the cells), for a
        database to read in one go (PostgreSQL's COPY); iter_rows() is the same rows parsed."""
        if self.plain is not None:  # no row table was written: write one now
            with tempfile.TemporaryFile("w+", newline="", encoding="utf-8") as spool:
                csv.writer(spool).writerows([number, *cells] for number, cells in self._plain_rows())
                spool.seek(0)
                yield spool
            return
        if self.spool is not None:
            self.spool.seek(0)
            yield self.spool
            return
        try:
            stored = default_storage.open(_rows_name(self.name), "rb")
        except FileNotFoundError:
            raise _gone() from None
        with stored:
            yield getattr(stored, "file", stored)

    @contextlib.contextmanager
    def _plain_source(self) -> Iterator[Any]:
        if self.source is not None:
            yield getattr(self.source, "file", self.source)  # the caller's stream: it stays open
            return
        try:
            stored = default_storage.open(self.name, "rb")  # a stored upload
        except FileNotFoundError:
            raise _gone() from None
        with stored:
            yield getattr(stored, "file", stored)

    def _plain_rows(self) -> Iterator[tuple[int, list[str]]]:
        """A plain file's rows read by the csv module, as _read reads any file (so a file COPY
        refuses, say for a row with more cells than the header, is read here with the same rules)."""
        with (
            self._plain_source() as source,
            contextlib.closing(readers.records(source, extension="csv", limits=limits())) as records,
        ):
            header = False
            for number, cells in records:
                if not any(cells):
                    continue
                if header:
                    yield number, cells
                header = True

    def samples(self, column: int, limit: int = 3) -> list[str]:
        values = (cells[column] for _number, cells in self.head if column < len(cells) and cells[column])
        return list(dict.fromkeys(values))[:limit]


# --- the upload ----------------------------------------------------------------------------------
def upload_store(*, upload, kind: ImportKind) -> str:
    """Check an uploaded file (type, size, and what costs nothing to check), keep it under a
    random name and return that name. Nothing is kept when a check fails. (Uploads nobody finished
    importing are deleted by the hourly imports.prune_uploads job.)"""
    extension = readers.extension_of(upload.name, kind.extensions)
    lim = limits()
    readers.check_size(upload.size, lim)
    upload.seek(0)
    name = default_storage.save(f"{STORAGE_DIR}/{kind.prefix}-{secrets.token_hex(16)}.{extension}", upload)
    try:
        with default_storage.open(name, "rb") as stored:
            readers.precheck(stored, extension=extension, limits=lim)
        if extension == "csv":
            with default_storage.open(name, "rb") as stored:
                _check_header(stored, kind=kind, extension=extension)
    except ImportFileError:
        upload_delete(name)
        raise
    return name


def upload_needs_worker(name: str) -> bool:
    """Files past a small size (unpacked, for XLSX) are read by the worker, never inside a request."""
    _check_name(name)
    return _work(name) > limits().sync_max_bytes


def upload_prepare(name: str, *, kind: ImportKind, filename: str, progress=None) -> ImportTable:
    """Read the stored upload once, within the limits, into its `.rows` and `.json` (the worker's
    job for large files). Done already: the table as read then."""
    _check_name(name)
    with contextlib.suppress(ImportFileError):
        return table_open(name, kind=kind)
    try:
        source = default_storage.open(name, "rb")
    except FileNotFoundError:
        raise _gone() from None
    extension = name.rsplit(".", 1)[-1]  # _check_name: csv or xlsx
    with source:
        table = _plain(source, kind=kind, filename=filename, extension=extension) or _read_into_rows(
            source, name=name, kind=kind, filename=filename, extension=extension, progress=progress
        )
    meta = {"filename": filename, "headers": table.headers, "row_count": table.row_count, "head": table.head}
    if table.plain is not None:
        meta["plain"] = asdict(table.plain)
    default_storage.save(_meta_name(name), File(_bytes(json.dumps(meta).encode())))
    return replace(table, name=name, headers=kind.headers(table.headers))


def _read_into_rows(source, *, name: str, kind: ImportKind, filename: str, extension: str, progress) -> ImportTable:
    with tempfile.TemporaryFile("w+", newline="", encoding="utf-8") as spool:
        table = _read(source, kind=kind, filename=filename, extension=extension, spool=spool, progress=progress)
        spool.seek(0)
        default_storage.save(_rows_name(name), File(spool.buffer))  # type: ignore[arg-type]
    return table


def table_open(name: str, *, kind: ImportKind, display_name: str = "") -> ImportTable:
    """The table read from a stored upload. `name` comes from a session or a task: only
    names this kit generated are accepted, never a path."""
    _check_name(name)
    try:
        with default_storage.open(_meta_name(name), "rb") as stored:
            meta = json.load(stored)
    except FileNotFoundError:
        raise _gone() from None
    return ImportTable(
        filename=display_name or meta["filename"],
        headers=kind.headers(meta["headers"]),
        row_count=meta["row_count"],
        head=[(number, cells) for number, cells in meta["head"]],
        name=name,
        plain=_plain_from(meta.get("plain")),
    )


def _plain_from(stored: dict | None) -> readers.PlainCsv | None:
    if stored is None:
        return None
    return readers.PlainCsv(**{**stored, "head": [(number, cells) for number, cells in stored["head"]]})


def table_from_stream(source, *, kind: ImportKind, filename: str, upload_limit: bool = True,
                      plain: bool = False) -> ImportTable:  # fmt: skip
    """Read a file (a command's, a test's) once, with the same checks and limits, into a
    temporary row table (deleted with the table). upload_limit=False: a file the operator
    has on the machine may be larger than an upload (rows, columns and cells stay limited).
    plain=True, for an import that reads its rows with copy_into: on PostgreSQL a plain CSV
    (readers.PlainCsv) is only checked, not read into a row table; the caller keeps `source`
    open while it uses the table."""
    extension = readers.extension_of(filename, kind.extensions)
    lim = limits()
    if upload_limit:
        source.seek(0, 2)
        readers.check_size(source.tell(), lim)
    source.seek(0)
    table = _plain(source, kind=kind, filename=filename, extension=extension) if plain else None
    if table is not None:
        return replace(table, headers=kind.headers(table.headers), source=source)
    spool = tempfile.TemporaryFile("w+", newline="", encoding="utf-8")  # noqa: SIM115 - lives with the table
    try:
        table = _read(source, kind=kind, filename=filename, extension=extension, spool=spool)
    except BaseException:
        spool.close()
        raise
    table = replace(table, headers=kind.headers(table.headers), spool=spool)
    weakref.finalize(table, spool.close)  # the temporary file goes with the table
    return table


def upload_claim(name: str) -> bool:
    """Mark a stored upload as handed to an import; False when it already was (a double
    submit), so the same file is never imported twice at once."""
    return cache.add(f"imports-claim:{name}", True, timeout=int(_KEEP_UPLOADS.total_seconds()))


def upload_release(name: str) -> None:
    """Nothing was written (errors): the user may import the file again."""
    cache.delete(f"imports-claim:{name}")


def upload_delete(name: str) -> None:
    if isinstance(name, str) and _NAME.match(name):
        for stored in (name, _rows_name(name), _meta_name(name)):
            default_storage.delete(stored)


def uploads_prune(*, older_than: timedelta = _KEEP_UPLOADS) -> int:
    """Delete stored uploads (and what was read from them) nobody finished importing; return how
    many files. The imports.prune_uploads job runs it hourly."""
    try:
        _dirs, files = default_storage.listdir(STORAGE_DIR)
    except FileNotFoundError:
        return 0
    cutoff = timezone.now() - older_than
    names = [f"{STORAGE_DIR}/{filename}" for filename in files]
    old = [name for name in names if _ANY_FILE.match(name) and default_storage.get_modified_time(name) < cutoff]
    for name in old:
        default_storage.delete(name)
    return len(old)


# --- reading ---------------------------------------------------------------------------------------
def _read(source, *, kind: ImportKind, filename: str, extension: str, spool, progress=None) -> ImportTable:
    """One pass over the file: the header, then every non-blank row into `spool` (CSV: number, cells)."""
    # Rows are written to the spool a chunk at a time: a write per row to the (read-write)
    # temporary file cost as much as parsing the row.
    chunk = io.StringIO()
    writer = csv.writer(chunk)
    headers: list[str] | None = None
    head: list[tuple[int, list[str]]] = []
    count = 0
    with contextlib.closing(readers.records(source, extension=extension, limits=limits())) as records:
        for number, cells in records:
            if not any(cells):
                continue
            if headers is None:
                headers = cells
                kind.headers(headers)  # refuse a header the import cannot use before reading on
                continue
            count += 1
            if len(head) < HEAD_ROWS:
                head.append((number, [cell[:HEAD_CELL_CHARS] for cell in cells]))
            writer.writerow([number, *cells])
            if count % SPOOL_CHUNK_ROWS == 0:
                _spool_chunk(chunk, spool)
            if progress and count % PROGRESS_EVERY == 0:
                progress(count)
    _spool_chunk(chunk, spool)
    if headers is None:
        raise ImportFileError(_("The file is empty."))
    if not count:
        raise ImportFileError(kind.no_rows_message())
    return ImportTable(filename=filename, headers=headers, row_count=count, head=head)


def _plain(source, *, kind: ImportKind, filename: str, extension: str) -> ImportTable | None:
    """A plain CSV (readers.PlainCsv) as a table without a row table, for PostgreSQL to COPY
    as it is; None for any other file, or on another database (then _read reads it)."""
    if extension != "csv" or not sql.postgresql():
        return None
    plain = readers.plain_csv(source, limits=limits(), head_rows=HEAD_ROWS)
    if plain is None:
        return None
    headers = readers.clean_record(plain.header)
    kind.headers(headers)  # refused as _read refuses it
    head = [(number, [cell[:HEAD_CELL_CHARS] for cell in cells]) for number, cells in plain.head]
    return ImportTable(filename=filename, headers=headers, row_count=plain.row_count, head=head, plain=plain)


def _spool_chunk(chunk: io.StringIO, spool) -> None:
    spool.write(chunk.getvalue())
    chunk.seek(0)
    chunk.truncate()


def _check_header(stored, *, kind: ImportKind, extension: str) -> None:
    """A CSV's header row (the first non-blank record) is read at upload, so a header the import
    refuses, or one with too many columns, is refused there and then."""
    with contextlib.closing(readers.records(stored, extension=extension, limits=limits())) as records:
        for _number, cells in records:
            if any(cells):
                kind.headers(cells)
                return
    raise ImportFileError(_("The file is empty."))


def _check_name(name) -> None:
    if not isinstance(name, str) or not _NAME.match(name):
        raise _gone()


def _gone() -> ImportFileError:
    return ImportFileError(_("The uploaded file is no longer available. Upload it again."))


def _rows_name(name: str) -> str:
    return f"{name}.rows"


def _meta_name(name: str) -> str:
    return f"{name}.json"


def _rows(text) -> Iterator[tuple[int, list[str]]]:
    for number, *cells in csv.reader(text):
        yield int(number), cells


def _text(stored):
    return io.TextIOWrapper(getattr(stored, "file", stored), encoding="utf-8", newline="")


def _bytes(data: bytes):
    return io.BytesIO(data)


def _work(name: str) -> int:
    """The bytes a full read works through: the file's size, or for XLSX its unpacked size."""
    with default_storage.open(name, "rb") as stored:
        if name.endswith(".xlsx"):
            try:
                with zipfile.ZipFile(getattr(stored, "file", stored)) as archive:
                    return sum(member.file_size for member in archive.infolist())
            except zipfile.BadZipFile:
                return 0
        return stored.size
