"""Customer import: read a CSV or XLSX file, map its columns, check every row, upsert.

Views, the `import_customers` command and the `customers.import_file` task share it:

    stored = import_file_store(upload=upload)            # or import_file_open(name), import_table_read(...)
    mapping = import_mapping_guess(stored.table.headers, custom_fields_active())
    result = customers_import(table=stored.table, mapping=mapping, actor=user, dry_run=True)

Checking only reads, set-based (one query per ~900 values, never one per row).
Writing happens in ONE transaction: every good row is written or none is. A row
updates the customer with the same external_ref, else the one customer with
the same email (case-insensitive), else creates one; so importing the same
file twice (or a retried task) updates instead of duplicating. Blank cells
never clear existing values, and tags are only ever added.
"""

import codecs
import contextlib
import csv
import io
import re
import secrets
import warnings
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

import openpyxl
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import roles
from accounts.models import User
from jobs.services import job_enqueue

from ..models import Company, ConsentEvent, Customer, CustomField, Interaction, Tag
from ..selectors import custom_fields_active
from .customers import normalize_phone, team_for_owner

STORAGE_DIR = "imports"
EXTENSIONS = ("csv", "xlsx")
_STORED_NAME = re.compile(r"^imports/[0-9a-f]{32}\.(csv|xlsx)$")
BATCH_SIZE = 1000
# Values per IN (...) lookup; stays under SQLite's 999 variables.
LOOKUP_CHUNK = 900
# A guard against decompression bombs and runaway files.
MAX_ROWS = 500_000
CUSTOM_PREFIX = "custom:"
# Uploads nobody finished importing are deleted after this long.
_KEEP_UPLOADS = timedelta(days=1)
AUDIT_ACTION = "customer.imported"

# (target, label) for the mapping step; custom fields are appended as "custom:<key>".
FIELDS = (
    ("first_name", gettext_lazy("First name")),
    ("last_name", gettext_lazy("Last name")),
    ("email", gettext_lazy("Email")),
    ("phone", gettext_lazy("Phone")),
    ("company", gettext_lazy("Company")),
    ("job_title", gettext_lazy("Job title")),
    ("street", gettext_lazy("Street")),
    ("city", gettext_lazy("City")),
    ("postal_code", gettext_lazy("Postal code")),
    ("country", gettext_lazy("Country")),
    ("lifecycle_stage", gettext_lazy("Lifecycle stage")),
    ("external_ref", gettext_lazy("External reference")),
    ("notes", gettext_lazy("Notes")),
    ("owner", gettext_lazy("Owner (username or email)")),
    ("tags", gettext_lazy("Tags (comma-separated)")),
    ("email_consent", gettext_lazy("Email consent (yes/no)")),
)
# Header spellings (lower case, letters and digits only) guessed after exact names.
SYNONYMS = {
    "first_name": ("first", "firstnames", "givenname", "forename", "vorname"),
    "last_name": ("last", "surname", "familyname", "lastnames", "nachname"),
    "email": ("emailaddress", "mail", "mailaddress", "emails"),
    "phone": ("phonenumber", "telephone", "tel", "mobile", "mobilephone", "cell", "telefon"),
    "company": ("companyname", "organisation", "organization", "account", "accountname", "employer", "firma"),
    "job_title": ("title", "position", "jobtitles"),
    "street": ("address", "streetaddress", "address1", "addressline1"),
    "city": ("town",),
    "postal_code": ("postcode", "zip", "zipcode", "plz"),
    "country": ("countrycode",),
    "lifecycle_stage": ("stage", "lifecycle"),
    "external_ref": ("id", "customerref", "externalid", "customerid", "reference", "ref", "customernumber"),
    "notes": ("note", "comment", "comments"),
    "owner": ("accountowner", "salesrep", "assignedto"),
    "tags": ("tag", "labels"),
    "email_consent": ("consent", "marketingconsent", "optin", "newsletter", "emailmarketing"),
}
_OPTED_IN = ("yes", "y", "true", "1", "opted_in", "optedin", "opt-in", "subscribed")
_OPTED_OUT = ("no", "n", "false", "0", "opted_out", "optedout", "opt-out", "unsubscribed")
CONSENT_VALUES = {
    **dict.fromkeys(_OPTED_IN, Customer.Consent.OPTED_IN),
    **dict.fromkeys(_OPTED_OUT, Customer.Consent.OPTED_OUT),
}
_TEXT_FIELDS = (
    "first_name",
    "last_name",
    "phone",
    "job_title",
    "street",
    "city",
    "postal_code",
    "external_ref",
    "notes",
)
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LOOKS_LIKE_DATA = re.compile(r"^([^@\s]+@[^@\s]+|[-+]?[\d.,]+|\d{1,4}[-./]\d{1,2}[-./]\d{1,4}.*)$")


class ImportFileError(Exception):
    """The file (or mapping) cannot be imported at all; `message` tells the user why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ImportMappingError(ImportFileError):
    pass


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


@dataclass(frozen=True)
class RowError:
    row: int
    column: str  # the column's header in the file, "" for the whole row
    field: str  # the mapped target (e.g. "email"), "" for the whole row
    message: str
    value: str = ""


@dataclass
class ImportResult:
    """What an import did, or (dry run) would do. With errors and no
    skip_errors, `rejected` is true and nothing was written: the counts then
    say what skipping the bad rows would do."""

    total: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    new_companies: int = 0
    new_tags: int = 0
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False
    rejected: bool = False

    @property
    def counts(self) -> dict[str, int]:
        return {"created": self.created, "updated": self.updated, "skipped": self.skipped}

    @property
    def bad_rows(self) -> int:
        return len({error.row for error in self.errors})


# --- access ---------------------------------------------------------------------------
def can_import(user) -> bool:
    """Sales reps, managers and admins import; support agents do not."""
    return roles.is_admin(user) or roles.is_manager(user) or roles.is_sales_rep(user)


def can_assign_owners(user) -> bool:
    """Managers and admins (and the command without --as) may set the owner column."""
    return user is None or roles.is_manager_or_admin(user)


# --- reading files --------------------------------------------------------------------
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


def _csv_records(data: bytes) -> Iterator[list[str]]:
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


def _xlsx_records(data: bytes) -> Iterator[list]:
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
    rows = []
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


# --- mapping ----------------------------------------------------------------------------
def import_field_choices(custom_fields: list[CustomField]) -> list[tuple[str, str]]:
    return [
        ("", gettext_lazy("— ignore this column —")),
        *FIELDS,
        *[(f"{CUSTOM_PREFIX}{custom.key}", custom.label) for custom in custom_fields],
    ]


def import_mapping_guess(headers: list[str], custom_fields: list[CustomField]) -> dict[str, str]:
    """{column index (str): target} from the header names; exact names first, then synonyms."""
    exact: dict[str, str] = {}
    for key, label in FIELDS:
        exact.setdefault(_normalize(key), key)
        exact.setdefault(_normalize(str(label)), key)
    for custom in custom_fields:
        exact.setdefault(_normalize(custom.key), f"{CUSTOM_PREFIX}{custom.key}")
        exact.setdefault(_normalize(custom.label), f"{CUSTOM_PREFIX}{custom.key}")
    synonyms = {synonym: key for key, names in SYNONYMS.items() for synonym in names}
    mapping: dict[str, str] = {}
    for lookup in (exact, synonyms):
        for index, header in enumerate(headers):
            target = lookup.get(_normalize(header))
            if str(index) not in mapping and target and target not in mapping.values():
                mapping[str(index)] = target
    return mapping


def import_mapping_clean(mapping: dict, *, headers: list[str], custom_fields: list[CustomField]) -> dict[str, str]:
    """Validate a mapping from the user, the session or a task's arguments."""
    labels = dict(import_field_choices(custom_fields))
    clean: dict[str, str] = {}
    for index, target in mapping.items():
        if not target:
            continue
        if target not in labels or not str(index).isdigit() or int(index) >= len(headers):
            raise ImportMappingError(_("The column mapping is out of date. Map the columns again."))
        if target in clean.values():
            raise ImportMappingError(_("“%(field)s” is chosen for more than one column.") % {"field": labels[target]})
        clean[str(index)] = target
    if "last_name" not in clean.values():
        raise ImportMappingError(_("Choose the column that holds the last name; it is required."))
    return clean


def _normalize(text: str) -> str:
    return re.sub(r"[\W_]", "", text.casefold())


# --- checking -----------------------------------------------------------------------------
class _BadValue(Exception):
    pass


@dataclass
class _Row:
    number: int
    values: dict = field(default_factory=dict)  # model fields
    custom: dict = field(default_factory=dict)
    tags: list = field(default_factory=list)
    company: str = ""
    owner_name: str = ""
    owner: User | None = None
    consent: str = ""
    match_id: int | None = None


@dataclass
class _Plan:
    rows: list[_Row]  # the good rows
    errors: list[RowError]
    companies: dict[str, int]  # lower-case name -> pk of an existing company
    new_companies: dict[str, _Row]  # lower-case name -> first row naming it
    tags: dict[str, int]  # lower-case name -> pk
    new_tags: dict[str, str]  # lower-case name -> name as written first


def _plan(table: ImportTable, mapping: dict[str, str], actor, custom_fields, progress) -> _Plan:
    columns = {int(index): target for index, target in mapping.items()}
    header_of = {target: table.headers[index] for index, target in columns.items()}
    custom = {custom.key: custom for custom in custom_fields}
    rows, errors = [], []
    for done, (number, cells) in enumerate(table.rows, start=1):
        row, row_errors = _clean_row(number, cells, columns, table.headers, custom)
        if row_errors:
            errors.extend(row_errors)
        else:
            rows.append(row)
        if progress and done % BATCH_SIZE == 0:
            progress(done, table.row_count)
    for check in (_check_owners, _check_duplicates, _check_matches):
        rows = _drop_bad(rows, check(rows, actor), errors, header_of)
    errors.sort(key=lambda error: error.row)
    companies, new_companies = _find_companies(rows, actor)
    tags, new_tags = _find_tags(rows)
    return _Plan(rows, errors, companies, new_companies, tags, new_tags)


def _drop_bad(rows, problems: dict[int, tuple[str, str, str]], errors, header_of) -> list[_Row]:
    for row_number, (target, message, value) in problems.items():
        errors.append(RowError(row_number, header_of.get(target, ""), target, message, value))
    return [row for row in rows if row.number not in problems]


def _clean_row(number, cells, columns, headers, custom) -> tuple[_Row, list[RowError]]:
    row = _Row(number=number)
    errors = []
    for index, target in columns.items():
        raw = cells[index] if index < len(cells) else ""
        if not raw:
            continue
        try:
            _set_value(row, target, raw, custom)
        except _BadValue as error:
            errors.append(RowError(number, headers[index], target, str(error), raw[:100]))
    if "last_name" not in row.values and not any(error.field == "last_name" for error in errors):
        header = next(headers[index] for index, target in columns.items() if target == "last_name")
        errors.append(RowError(number, header, "last_name", _("Last name is required.")))
    return row, errors


def _set_value(row: _Row, target: str, raw: str, custom: dict) -> None:
    if target in _TEXT_FIELDS:
        row.values[target] = _text(raw, Customer._meta.get_field(target).max_length)
    elif target == "email":
        row.values["email"] = _email(raw)
    elif target == "country":
        if not re.fullmatch(r"[A-Za-z]{2}", raw):
            raise _BadValue(_("Use a two-letter country code, such as DE."))
        row.values["country"] = raw.upper()
    elif target == "lifecycle_stage":
        row.values["lifecycle_stage"] = _choice(raw, Customer.Stage.choices)
    elif target == "company":
        row.company = _text(raw, Company._meta.get_field("name").max_length)
    elif target == "owner":
        row.owner_name = raw
    elif target == "tags":
        names = [_text(name.strip(), Tag._meta.get_field("name").max_length) for name in raw.split(",")]
        row.tags = list({name.lower(): name for name in names if name}.values())
    elif target == "email_consent":
        value = raw.lower().replace(" ", "_")
        if value in ("unknown", "not_asked"):  # as exported: no consent given either way, change nothing
            return
        if value not in CONSENT_VALUES:
            raise _BadValue(_("Unknown choice “%(value)s”. Use yes or no (or opted_in, opted_out).") % {"value": raw})
        row.consent = CONSENT_VALUES[value]
    elif target.startswith(CUSTOM_PREFIX):
        definition = custom[target.removeprefix(CUSTOM_PREFIX)]
        row.custom[definition.key] = _custom_value(raw, definition)


def _text(raw: str, max_length: int | None) -> str:
    if max_length and len(raw) > max_length:
        raise _BadValue(
            _("At most %(max)d characters (this has %(length)d).") % {"max": max_length, "length": len(raw)}
        )
    return raw


def _email(raw: str) -> str:
    try:
        validate_email(raw)
    except ValidationError:
        raise _BadValue(_("Enter a valid email address.")) from None
    return _text(raw, Customer._meta.get_field("email").max_length)


def _choice(raw: str, choices) -> str:
    for value, label in choices:
        if raw.lower() in (str(value).lower(), str(label).lower()):
            return value
    allowed = ", ".join(str(value) for value, _label in choices)
    raise _BadValue(_("Unknown choice “%(value)s”. Use one of: %(choices)s.") % {"value": raw, "choices": allowed})


def _custom_value(raw: str, definition: CustomField):
    if definition.field_type == CustomField.Type.NUMBER:
        # Stored as a decimal string, like the customer form does.
        try:
            number = Decimal(raw.replace(" ", "").replace(",", "."))
        except InvalidOperation:
            raise _BadValue(_("Enter a number, such as 1234.5.")) from None
        if not number.is_finite():
            raise _BadValue(_("Enter a number, such as 1234.5."))
        return str(number)
    if definition.field_type == CustomField.Type.DATE:
        return _date(raw).isoformat()
    if definition.field_type == CustomField.Type.CHOICE:
        return _choice(raw, [(choice, choice) for choice in definition.choice_list])
    return raw


def _date(raw: str) -> date:
    with contextlib.suppress(ValueError):
        return date.fromisoformat(raw)
    with contextlib.suppress(ValueError):
        return datetime.fromisoformat(raw).date()  # an XLSX date with a time
    with contextlib.suppress(ValueError):
        return datetime.strptime(raw, "%d.%m.%Y").date()  # noqa: DTZ007 (a calendar date, no time zone)
    raise _BadValue(_("Enter a date as YYYY-MM-DD (or DD.MM.YYYY)."))


def _check_owners(rows: list[_Row], actor) -> dict:
    """Reps own what they import; managers and admins may name any active user."""
    named = [row for row in rows if row.owner_name]
    if not can_assign_owners(actor):
        mine = {actor.username.lower(), actor.email.lower()} - {""}
        message = _("You can only import customers for yourself; ask a manager to assign other owners.")
        return {row.number: ("owner", message, row.owner_name) for row in named if row.owner_name.lower() not in mine}
    wanted = list({row.owner_name.lower() for row in named})
    by_username, by_email = {}, defaultdict(list)
    for chunk in _chunks(wanted):
        users = User.objects.filter(is_active=True).annotate(
            username_lower=Lower("username"), email_lower=Lower("email")
        )
        for user in users.filter(Q(username_lower__in=chunk) | Q(email_lower__in=chunk)):
            by_username[user.username.lower()] = user
            by_email[user.email.lower()].append(user)
    problems = {}
    for row in named:
        key = row.owner_name.lower()
        candidates = [by_username[key]] if key in by_username else by_email.get(key, [])
        if len(candidates) == 1:
            row.owner = candidates[0]
        else:
            message = _("Unknown owner “%(value)s”: no active user has this username or email.")
            problems[row.number] = ("owner", message % {"value": row.owner_name}, row.owner_name)
    return problems


def _check_duplicates(rows: list[_Row], actor) -> dict:
    seen_refs, seen_emails, problems = {}, {}, {}
    for row in rows:
        ref, email = row.values.get("external_ref", ""), row.values.get("email", "").lower()
        if ref and ref in seen_refs:
            message = _("Duplicate of row %(row)d (same external reference).") % {"row": seen_refs[ref]}
            problems[row.number] = ("external_ref", message, ref)
        elif email and email in seen_emails:
            message = _("Duplicate of row %(row)d (same email).") % {"row": seen_emails[email]}
            problems[row.number] = ("email", message, row.values["email"])
        else:
            if ref:
                seen_refs[ref] = row.number
            if email:
                seen_emails[email] = row.number
    return problems


def _check_matches(rows: list[_Row], actor) -> dict:
    """Find the customer each row updates, refusing customers the actor may not edit."""
    by_ref = {}  # external_ref -> (pk, deleted)
    refs = [row.values["external_ref"] for row in rows if row.values.get("external_ref")]
    for chunk in _chunks(refs):
        for pk, ref, deleted_at in Customer.all_objects.filter(external_ref__in=chunk).values_list(
            "pk", "external_ref", "deleted_at"
        ):
            by_ref[ref] = (pk, deleted_at is not None)
    by_email = defaultdict(list)  # lower-case email -> [(pk, external_ref)]
    emails = list({row.values["email"].lower() for row in rows if row.values.get("email")})
    for chunk in _chunks(emails):
        found = Customer.objects.annotate(email_lower=Lower("email")).filter(email_lower__in=chunk)
        for pk, email, ref in found.values_list("pk", "email_lower", "external_ref"):
            by_email[email].append((pk, ref))
    candidates = [pk for pk, _deleted in by_ref.values()] + [pk for found in by_email.values() for pk, _ref in found]
    editable = set()
    for chunk in _chunks(list(set(candidates))):
        editable.update(_editable(actor).filter(pk__in=chunk).values_list("pk", flat=True))

    problems, matched_by = {}, {}
    for row in rows:
        ref, email = row.values.get("external_ref", ""), row.values.get("email", "").lower()
        if ref and ref in by_ref:
            pk, deleted = by_ref[ref]
            if deleted:
                problems[row.number] = (
                    "external_ref",
                    _("This row matches a deleted customer; restore it first."),
                    ref,
                )
                continue
            other_ref = ""
        elif email and len(by_email.get(email, ())) == 1:
            pk, other_ref = by_email[email][0]
        else:
            continue
        if pk not in editable:
            problems[row.number] = ("", _("This row matches a customer you cannot edit."), "")
        elif ref and other_ref and other_ref != ref:
            message = _("The email matches a customer with another external reference (%(ref)s).") % {"ref": other_ref}
            problems[row.number] = ("external_ref", message, ref)
        elif pk in matched_by:
            message = _("This row matches the same customer as row %(row)d.") % {"row": matched_by[pk]}
            problems[row.number] = ("", message, "")
        else:
            matched_by[pk] = row.number
            row.match_id = pk
    return problems


def _editable(actor):
    return Customer.objects.all() if actor is None else Customer.objects.editable_by(actor)


def _find_companies(rows: list[_Row], actor) -> tuple[dict, dict]:
    """Companies are matched by name (case-insensitive) among those the actor can see."""
    named = {}
    for row in rows:
        if row.company:
            named.setdefault(row.company.lower(), row)
    scope = Company.objects.all() if actor is None else Company.objects.visible_to(actor)
    existing = {}
    for chunk in _chunks(list(named)):
        found = scope.annotate(name_lower=Lower("name")).filter(name_lower__in=chunk).order_by("pk")
        for pk, name in found.values_list("pk", "name"):
            existing.setdefault(name.lower(), pk)
    return existing, {key: row for key, row in named.items() if key not in existing}


def _find_tags(rows: list[_Row]) -> tuple[dict, dict]:
    named = {}
    for row in rows:
        for name in row.tags:
            named.setdefault(name.lower(), name)
    existing = _tag_ids(list(named))
    return existing, {key: name for key, name in named.items() if key not in existing}


def _tag_ids(names: list[str]) -> dict[str, int]:
    """Lower-case name -> pk of the existing tags with these names (any case)."""
    found = {}
    for chunk in _chunks([name.lower() for name in names]):
        tags = Tag.objects.annotate(name_lower=Lower("name")).filter(name_lower__in=chunk).order_by("pk")
        for pk, name in tags.values_list("pk", "name"):
            found.setdefault(name.lower(), pk)
    return found


def _chunks(values: list, size: int = LOOKUP_CHUNK) -> Iterator[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


# --- the import --------------------------------------------------------------------------
def customers_import(
    *, table: ImportTable, mapping: dict, actor: User | None, dry_run: bool = False, skip_errors: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:  # fmt: skip
    """Check every row; unless dry_run, write the good rows in one transaction.

    With errors and no skip_errors nothing is written (result.rejected). actor=None
    is the command line without --as: full access, no default owner."""
    if actor is not None and not can_import(actor):
        raise PermissionDenied
    custom_fields = custom_fields_active()
    mapping = import_mapping_clean(mapping, headers=table.headers, custom_fields=custom_fields)
    plan = _plan(table, mapping, actor, custom_fields, progress)
    created = sum(1 for row in plan.rows if row.match_id is None)
    result = ImportResult(
        total=table.row_count, created=created, updated=len(plan.rows) - created,
        skipped=table.row_count - len(plan.rows), new_companies=len(plan.new_companies), new_tags=len(plan.new_tags),
        errors=plan.errors, dry_run=dry_run, rejected=bool(plan.errors) and not skip_errors and not dry_run,
    )  # fmt: skip
    if dry_run or result.rejected:
        return result
    try:
        with transaction.atomic():
            _write(plan, actor=actor, filename=table.filename)
    except (IntegrityError, _Conflict):
        raise ImportFileError(
            _("Some of these customers changed while importing, so nothing was written. Run the import again.")
        ) from None
    if progress:
        progress(table.row_count, table.row_count)
    return result


def customers_import_enqueue(*, stored_name: str, filename: str, mapping: dict, skip_errors: bool, actor: User):
    """Run a large import as a background job (sent after the transaction commits)."""
    from ..tasks import customers_import_file  # the task module imports this one

    return job_enqueue(
        task=customers_import_file,
        actor=actor,
        kwargs={
            "file_name": stored_name,
            "mapping": mapping,
            "options": {"skip_errors": skip_errors, "filename": filename},
            "actor_id": actor.pk,
        },
    )


class _Conflict(Exception):
    """The database changed between checking and writing."""


class _Teams(dict):
    """team_for_owner, once per owner."""

    def of(self, owner):
        if owner is None:
            return None
        if owner.pk not in self:
            self[owner.pk] = team_for_owner(owner)
        return self[owner.pk]


def _write(plan: _Plan, *, actor, filename: str) -> None:
    now = timezone.now()
    teams = _Teams()
    tag_ids = _create_tags(plan)
    company_ids = _create_companies(plan, actor, teams)
    existing = _load_for_update(plan)
    new, changed, outcomes = [], [], []  # outcomes: (row, customer, created, changed fields)
    for row in plan.rows:
        if row.match_id is None:
            customer = _new_customer(row, actor=actor, company_ids=company_ids, teams=teams, now=now)
            new.append(customer)
            outcomes.append((row, customer, True, []))
        else:
            customer = existing[row.match_id]
            fields = _update_customer(customer, row, actor=actor, company_ids=company_ids, teams=teams, now=now)
            if fields:
                changed.append(customer)
            outcomes.append((row, customer, False, fields))
    Customer.objects.bulk_create(new, batch_size=BATCH_SIZE)
    update_fields = {name for _row, _customer, _created, fields in outcomes for name in fields}
    if changed:
        Customer.objects.bulk_update(changed, sorted(update_fields | {"updated_at"}), batch_size=BATCH_SIZE)
    tagged = _link_tags(outcomes, tag_ids)
    ConsentEvent.objects.bulk_create(
        [
            ConsentEvent(
                customer_id=customer.pk,
                status=row.consent,
                source=ConsentEvent.Source.IMPORT,
                actor=actor,
                note=f"Import of {filename}"[:200],
                created_at=now,
            )
            for row, customer, created, fields in outcomes
            if row.consent and (created or "email_consent" in fields)
        ],
        batch_size=BATCH_SIZE,
    )
    Interaction.objects.bulk_create(
        [
            _audit_entry(row, customer, created, fields, tagged, actor=actor, filename=filename, now=now)
            for row, customer, created, fields in outcomes
        ],
        batch_size=BATCH_SIZE,
    )


def _create_tags(plan: _Plan) -> dict[str, int]:
    if not plan.new_tags:
        return plan.tags
    # ignore_conflicts: another import may create the same tag meanwhile; read the ids back.
    Tag.objects.bulk_create([Tag(name=name) for name in plan.new_tags.values()], ignore_conflicts=True)
    return {**plan.tags, **_tag_ids(list(plan.new_tags.values()))}


def _create_companies(plan: _Plan, actor, teams: _Teams) -> dict[str, int]:
    companies = []
    for row in plan.new_companies.values():
        owner = _owner_for_new(row, actor)
        companies.append(Company(name=row.company, owner=owner, team=teams.of(owner)))
    Company.objects.bulk_create(companies, batch_size=BATCH_SIZE)
    Interaction.objects.bulk_create(
        [
            Interaction(
                company_id=company.pk,
                kind=Interaction.Kind.SYSTEM,
                action="company.created",
                summary="Company created (import)",
                user=actor,
            )
            for company in companies
        ],
        batch_size=BATCH_SIZE,
    )
    return {**plan.companies, **{company.name.lower(): company.pk for company in companies}}


def _load_for_update(plan: _Plan) -> dict[int, Customer]:
    ids = [row.match_id for row in plan.rows if row.match_id is not None]
    existing = {}
    for chunk in _chunks(ids):
        existing.update(
            (customer.pk, customer) for customer in Customer.objects.select_for_update().filter(pk__in=chunk)
        )
    if len(existing) != len(ids):
        raise _Conflict("A matched customer was deleted since the check.")
    return existing


def _owner_for_new(row: _Row, actor):
    return row.owner or actor


def _new_customer(row: _Row, *, actor, company_ids, teams: _Teams, now) -> Customer:
    owner = _owner_for_new(row, actor)
    customer = Customer(**row.values, owner=owner, team=teams.of(owner), source=Customer.Source.IMPORT,
                        custom_data=row.custom, created_at=now)  # fmt: skip
    customer.phone_normalized = normalize_phone(customer.phone)
    if row.company:
        customer.company_id = company_ids[row.company.lower()]
    if row.consent:
        customer.email_consent, customer.email_consent_at = row.consent, now
    return customer


def _update_customer(customer: Customer, row: _Row, *, actor, company_ids, teams: _Teams, now) -> list[str]:
    """Apply the row's non-blank values; return the names of the fields that changed."""
    changed = [name for name, value in row.values.items() if getattr(customer, name) != value]
    for name in changed:
        setattr(customer, name, row.values[name])
    if "phone" in changed:
        customer.phone_normalized = normalize_phone(customer.phone)
        changed.append("phone_normalized")
    custom_data = {**customer.custom_data, **row.custom}
    if custom_data != customer.custom_data:
        customer.custom_data = custom_data
        changed.append("custom_data")
    if row.company and customer.company_id != company_ids[row.company.lower()]:
        customer.company_id = company_ids[row.company.lower()]
        changed.append("company")
    # Reps never reassign through an import (their owner column must name themselves).
    if row.owner and can_assign_owners(actor) and customer.owner_id != row.owner.pk:
        customer.owner, customer.team = row.owner, teams.of(row.owner)
        changed += ["owner", "team"]
    if row.consent and customer.email_consent != row.consent:
        customer.email_consent, customer.email_consent_at = row.consent, now
        changed += ["email_consent", "email_consent_at"]
    if changed:
        customer.updated_at = now
    return changed


def _link_tags(outcomes, tag_ids: dict[str, int]) -> set[int]:
    """Add each row's tags (never remove any); return the ids of customers that gained a tag."""
    through = Customer.tags.through
    wanted = {(customer.pk, tag_ids[name.lower()]) for row, customer, _c, _f in outcomes for name in row.tags}
    updated_ids = [customer.pk for row, customer, created, _f in outcomes if row.tags and not created]
    existing = set()
    for chunk in _chunks(updated_ids):
        existing.update(through.objects.filter(customer_id__in=chunk).values_list("customer_id", "tag_id"))
    links = sorted(wanted - existing)
    through.objects.bulk_create(
        [through(customer_id=customer_id, tag_id=tag_id) for customer_id, tag_id in links],
        batch_size=BATCH_SIZE,
        ignore_conflicts=True,
    )
    return {customer_id for customer_id, _tag_id in links}


_INTERNAL_FIELDS = {"phone_normalized", "team", "email_consent_at"}


def _audit_entry(row, customer, created, fields, tagged, *, actor, filename, now) -> Interaction:
    fields = [name for name in fields if name not in _INTERNAL_FIELDS]
    if not created and customer.pk in tagged:
        fields.append("tags")
    if created:
        summary = "Imported (new customer)"
    else:
        summary = "Imported: changed " + ", ".join(fields) if fields else "Imported: no changes"
    return Interaction(
        customer_id=customer.pk, company_id=customer.company_id, kind=Interaction.Kind.SYSTEM, action=AUDIT_ACTION,
        summary=summary[:200], user=actor, occurred_at=now, created_at=now,
        data={"created": created, "fields": fields, "row": row.number, "file": filename[:200]},
    )  # fmt: skip
