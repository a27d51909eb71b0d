"""Checking every row of an import before anything is written.

Checking only reads, set-based (one query per batch of values, sql.lookups, never one per row):
it cleans each cell, resolves owners, finds duplicate rows and the customers,
companies and tags the rows match, and returns an ImportPlan for the write.
"""

import contextlib
import re
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import cast

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Field, Q
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from accounts import roles
from accounts.models import User
from imports import sql
from imports.services import ImportTable

from ..models import Company, Customer, CustomField, Tag
from .import_mapping import CUSTOM_PREFIX

# Rows per bulk write; checking reports progress this often, too.
BATCH_SIZE = 1000

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


@dataclass(frozen=True)
class RowError:
    row: int
    column: str  # the column's header in the file, "" for the whole row
    field: str  # the mapped target (e.g. "email"), "" for the whole row
    message: str
    value: str = ""


# --- access ---------------------------------------------------------------------------
# Here rather than in imports.py: checking owners needs it, and imports.py imports this module.
def can_import(user) -> bool:
    """Sales reps, managers and admins import; support agents do not."""
    return roles.is_admin(user) or roles.is_manager(user) or roles.is_sales_rep(user)


def can_assign_owners(user) -> bool:
    """Managers and admins (and the command without --as) may set the owner column."""
    return user is None or roles.is_manager_or_admin(user)


# --- checking -----------------------------------------------------------------------------
class _BadValue(Exception):
    pass


@dataclass
class ImportRow:
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
class ImportPlan:
    rows: list[ImportRow]  # the good rows
    errors: list[RowError]
    companies: dict[str, int]  # lower-case name -> pk of an existing company
    new_companies: dict[str, ImportRow]  # lower-case name -> first row naming it
    tags: dict[str, int]  # lower-case name -> pk
    new_tags: dict[str, str]  # lower-case name -> name as written first
    # PostgreSQL (import_checks_sql): the good rows that create a customer stay in its staging table,
    # this many; `rows` holds the others. `owners`: each owner cell's user (None: the importer).
    staged_new: int = 0
    owners: dict[str, User | None] = field(default_factory=dict)


def import_plan(table: ImportTable, columns: dict[int, str], actor, custom_fields, progress) -> ImportPlan:
    """Check every row in Python (import_checks_sql does the same set-based on PostgreSQL).
    `columns`: column index -> target."""
    header_of = {target: table.headers[index] for index, target in columns.items()}
    custom = {custom.key: custom for custom in custom_fields}
    plain = _plain_lengths()
    rows, errors = [], []
    for done, (number, cells) in enumerate(table.iter_rows(), start=1):
        row, row_errors = _clean_row(number, cells, columns, table.headers, custom, plain)
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
    return ImportPlan(rows, errors, companies, new_companies, tags, new_tags)


def _drop_bad(rows, problems: dict[int, tuple[str, str, str]], errors, header_of) -> list[ImportRow]:
    for row_number, (target, message, value) in problems.items():
        errors.append(RowError(row_number, header_of.get(target, ""), target, message, value))
    return [row for row in rows if row.number not in problems]


def _plain_lengths() -> dict[str, int]:
    """Target -> the longest cell _take_plain may take (the field's max_length; for tags, a whole
    cell no longer than one tag name may be)."""
    lengths = {name: cast(Field, Customer._meta.get_field(name)).max_length or sys.maxsize for name in _TEXT_FIELDS}
    return {
        **lengths,
        "email": min(254, cast(Field, Customer._meta.get_field("email")).max_length or 254),
        "country": 2,
        "company": Company._meta.get_field("name").max_length or sys.maxsize,
        "tags": Tag._meta.get_field("name").max_length or sys.maxsize,
    }


def _clean_row(number, cells, columns, headers, custom, plain) -> tuple[ImportRow, list[RowError]]:
    row = ImportRow(number=number)
    errors = []
    for index, target in columns.items():
        raw = cells[index] if index < len(cells) else ""
        if not raw:
            continue
        limit = plain.get(target)
        if limit is not None and len(raw) <= limit and _take_plain(row, target, raw):
            continue
        try:
            _set_value(row, target, raw, custom)
        except _BadValue as error:
            errors.append(RowError(number, headers[index], target, str(error), raw[:100]))
    if "last_name" not in row.values and not any(error.field == "last_name" for error in errors):
        header = next(headers[index] for index, target in columns.items() if target == "last_name")
        errors.append(RowError(number, header, "last_name", _("Last name is required.")))
    return row, errors


def _take_plain(row: ImportRow, target: str, raw: str) -> bool:
    """Take a cell of the common shape (within its length, see _plain_lengths) as _set_value
    would, without its branches and checks; False: not that shape, _set_value decides."""
    if target == "email":
        if not (raw.isascii() and _PLAIN_EMAIL.fullmatch(raw)):  # see _email
            return False
        row.values["email"] = raw
    elif target == "country":
        if not (len(raw) == 2 and raw.isascii() and raw.isalpha()):
            return False
        row.values["country"] = raw.upper()
    elif target == "company":
        row.company = raw
    elif target == "tags":  # no name is longer than the whole cell
        names = [name.strip() for name in raw.split(",")]
        row.tags = list({name.lower(): name for name in names if name}.values())
    else:  # a text field
        row.values[target] = raw
    return True


def _set_value(row: ImportRow, target: str, raw: str, custom: dict) -> None:
    if target in _TEXT_FIELDS:
        row.values[target] = _text(raw, cast(Field, Customer._meta.get_field(target)).max_length)
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


# Addresses of this plain shape are valid for Django's validator too (a subset of what it accepts);
# checking them here skips its slower checks for the usual case. Anything else goes to the validator.
_PLAIN_EMAIL = re.compile(
    r"[a-z0-9_+-]+(?:\.[a-z0-9_+-]+)*@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}", re.IGNORECASE
)


def _email(raw: str) -> str:
    if not (len(raw) <= 254 and raw.isascii() and _PLAIN_EMAIL.fullmatch(raw)):
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


def _check_owners(rows: list[ImportRow], actor) -> dict:
    """Reps own what they import; managers and admins may name any active user."""
    named = [row for row in rows if row.owner_name]
    if not can_assign_owners(actor):
        mine = {actor.username.lower(), actor.email.lower()} - {""}
        message = _("You can only import customers for yourself; ask a manager to assign other owners.")
        return {row.number: ("owner", message, row.owner_name) for row in named if row.owner_name.lower() not in mine}
    wanted = list({row.owner_name.lower() for row in named})
    by_username, by_email = {}, defaultdict(list)
    for chunk in sql.lookups(wanted):
        users = User.objects.filter(is_active=True).annotate(
            username_lower=Lower("username"), email_lower=Lower("email")
        )
        for user in users.filter(Q(username_lower__in=sql.among(chunk)) | Q(email_lower__in=sql.among(chunk))):
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


def _check_duplicates(rows: list[ImportRow], actor) -> dict:
    seen_refs: dict[str, int] = {}  # -> row number
    seen_emails: dict[str, int] = {}
    problems = {}
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


def _check_matches(rows: list[ImportRow], actor) -> dict:
    """Find the customer each row updates, refusing customers the actor may not edit."""
    by_ref = {}  # external_ref -> (pk, deleted)
    refs = [row.values["external_ref"] for row in rows if row.values.get("external_ref")]
    for chunk in sql.lookups(refs):
        found = Customer.all_objects.filter(external_ref__in=sql.among(chunk))
        for pk, ref, deleted_at in found.values_list("pk", "external_ref", "deleted_at"):
            by_ref[ref] = (pk, deleted_at is not None)
    by_email = defaultdict(list)  # lower-case email -> [(pk, external_ref)]
    emails = list({row.values["email"].lower() for row in rows if row.values.get("email")})
    for chunk in sql.lookups(emails):
        found = Customer.objects.annotate(email_lower=Lower("email")).filter(email_lower__in=sql.among(chunk))
        for pk, email, ref in found.values_list("pk", "email_lower", "external_ref"):
            by_email[email].append((pk, ref))
    candidates = [pk for pk, _deleted in by_ref.values()] + [pk for found in by_email.values() for pk, _ref in found]
    editable: set[int] = set()
    for chunk in sql.lookups(set(candidates)):
        editable.update(_editable(actor).filter(pk__in=sql.among(chunk)).values_list("pk", flat=True))

    problems: dict = {}
    matched_by: dict[int, int] = {}  # customer pk -> row number
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


def _find_companies(rows: list[ImportRow], actor) -> tuple[dict, dict]:
    """Companies are matched by name (case-insensitive) among those the actor can see."""
    named: dict[str, ImportRow] = {}
    for row in rows:
        if row.company:
            named.setdefault(row.company.lower(), row)
    scope = Company.objects.all() if actor is None else Company.objects.visible_to(actor)
    existing: dict[str, int] = {}
    for chunk in sql.lookups(list(named)):
        found = scope.annotate(name_lower=Lower("name")).filter(name_lower__in=sql.among(chunk)).order_by("pk")
        for pk, name in found.values_list("pk", "name"):
            existing.setdefault(name.lower(), pk)
    return existing, {key: row for key, row in named.items() if key not in existing}


def _find_tags(rows: list[ImportRow]) -> tuple[dict, dict]:
    named: dict[str, str] = {}
    for row in rows:
        for name in row.tags:
            named.setdefault(name.lower(), name)
    existing = tag_ids_by_name(list(named))
    return existing, {key: name for key, name in named.items() if key not in existing}


def tag_ids_by_name(names: list[str]) -> dict[str, int]:
    """Lower-case name -> pk of the existing tags with these names (any case)."""
    found: dict[str, int] = {}
    for chunk in sql.lookups([name.lower() for name in names]):
        tags = Tag.objects.annotate(name_lower=Lower("name")).filter(name_lower__in=sql.among(chunk)).order_by("pk")
        for pk, name in tags.values_list("pk", "name"):
            found.setdefault(name.lower(), pk)
    return found
