"""Customer import: what the import kit (imports/) needs to import customers.

Views, the `import_customers` command and the `customers.import_file` task share it:

    stored = import_file_store(upload=upload)            # or import_file_open(name), import_table_read(...)
    mapping = import_mapping_guess(stored.table.headers, custom_fields_active())
    result = customers_import(table=stored.table, mapping=mapping, actor=user, dry_run=True)

The kit stores the upload, reads it once within its limits and runs the steps; this
import supplies its columns (import_mapping), its row checks (import_checks) and its
writer (here). Checking only reads, set-based (one query per batch of values, never one
per row). Writing happens in ONE transaction: every good row is written or none is.
A row updates the customer with the same external_ref, else the one customer with
the same email (case-insensitive), else creates one; so importing the same file
twice (or a retried task) updates instead of duplicating. Blank cells never clear
existing values, and tags are only ever added.
"""

import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.selectors import team_for_owner
from crm_project.fragments import bump_cache_version
from crm_project.helpers import normalize_phone
from imports import services as kit
from imports import sql
from imports.services import EXTENSIONS, ImportFileError, ImportMappingError, ImportTable

from .. import timeline
from ..models import Company, ConsentEvent, Customer, Interaction, Tag
from ..selectors.customers import custom_fields_active
from ..timeline import IMPORT_CREATED as CREATED_ACTION
from .import_checks import (
    BATCH_SIZE,
    ImportPlan,
    ImportRow,
    RowError,
    can_assign_owners,
    can_import,
    import_plan,
    tag_ids_by_name,
)
from .import_checks_sql import drop as postgresql_drop
from .import_checks_sql import postgresql_plan
from .import_mapping import import_field_choices, import_mapping_clean, import_mapping_guess
from .import_sql import customers_insert_staged
from .import_sql import drop as postgresql_drop_written

__all__ = [
    "BATCH_SIZE",
    "CUSTOMERS",
    "EXTENSIONS",
    "ImportFileError",
    "ImportMappingError",
    "ImportResult",
    "ImportTable",
    "can_assign_owners",
    "can_import",
    "customers_import",
    "import_field_choices",
    "import_file_claim",
    "import_file_open",
    "import_file_store",
    "import_mapping_clean",
    "import_mapping_guess",
    "import_table_read",
]

AUDIT_ACTION = "customer.imported"  # the entry of a customer the import updated
_LOOKS_LIKE_DATA = re.compile(r"^([^@\s]+@[^@\s]+|[-+]?[\d.,]+|\d{1,4}[-./]\d{1,2}[-./]\d{1,4}.*)$")


def _headers(cells: list[str]) -> list[str]:
    if any(_LOOKS_LIKE_DATA.match(cell) for cell in cells if cell):
        raise ImportFileError(
            _(
                "The first row must name the columns (such as Last name, Email), but it looks like data. "
                "Add a header row."
            )
        )
    return [cell or _("Column %(number)d") % {"number": index} for index, cell in enumerate(cells, start=1)]


CUSTOMERS = kit.ImportKind(
    prefix="customers",
    headers=_headers,
    no_rows_message=lambda: _("The file has a header row but no customers below it."),
)


@dataclass(frozen=True)
class StoredImport:
    name: str  # the storage name, e.g. "imports/customers-3f2a….csv"; the only thing kept between steps
    table: ImportTable


def import_file_store(*, upload) -> StoredImport:
    """Keep an upload and read it (the web flow leaves large files to the worker; this reads any)."""
    name = kit.upload_store(upload=upload, kind=CUSTOMERS)
    try:
        return StoredImport(name=name, table=kit.upload_prepare(name, kind=CUSTOMERS, filename=upload.name))
    except ImportFileError:
        kit.upload_delete(name)
        raise


def import_file_open(name: str, *, display_name: str = "") -> ImportTable:
    return kit.table_open(name, kind=CUSTOMERS, display_name=display_name)


def import_table_read(*, data: bytes = b"", filename: str, source=None, plain: bool = False) -> ImportTable:
    """Read CSV or XLSX bytes (or an open binary file) once, with the kit's checks and limits.
    plain=True: on PostgreSQL a plain CSV is left for COPY to read (keep `source` open until imported)."""
    return kit.table_from_stream(source or io.BytesIO(data), kind=CUSTOMERS, filename=filename, plain=plain)


import_file_claim = kit.upload_claim


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

    @property
    def error_count(self) -> int:
        return len(self.errors)


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
    try:
        result = _import(table, mapping, actor=actor, custom_fields=custom_fields, dry_run=dry_run,
                         skip_errors=skip_errors, progress=progress)  # fmt: skip
    finally:
        if sql.postgresql():
            postgresql_drop()
            postgresql_drop_written()
    return result


def _import(table, mapping, *, actor, custom_fields, dry_run, skip_errors, progress) -> ImportResult:
    # PostgreSQL checks set-based (import_checks_sql) and keeps the new rows staged for the writer.
    check = postgresql_plan if sql.postgresql() else import_plan
    plan = check(table, {int(index): target for index, target in mapping.items()}, actor, custom_fields, progress)
    created = plan.staged_new + sum(1 for row in plan.rows if row.match_id is None)
    good = plan.staged_new + len(plan.rows)
    result = ImportResult(
        total=table.row_count, created=created, updated=good - created,
        skipped=table.row_count - good, new_companies=len(plan.new_companies), new_tags=len(plan.new_tags),
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


def _write(plan: ImportPlan, *, actor, filename: str) -> None:
    now = timezone.now()
    teams = _Teams()
    tag_ids = _create_tags(plan, actor=actor)
    company_ids = _create_companies(plan, actor, teams)
    existing = _load_for_update(plan)
    new, changed = [], []
    outcomes: list[tuple[ImportRow, Customer, bool, list[str]]] = []  # (row, customer, created, changed fields)
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
    created = len(new)
    if plan.staged_new:  # PostgreSQL: the new customers set-based, from the checks' staging table
        created += customers_insert_staged(actor=actor, owners=plan.owners, company_ids=company_ids, teams=teams,
                                           tag_ids=tag_ids, filename=filename, now=now)  # fmt: skip
    if created:
        _record_created(created, actor=actor, filename=filename, now=now)
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
    Interaction.objects.bulk_create(  # the updated customers; the new ones share _record_created's entry
        [
            _audit_entry(row, customer, fields, tagged, actor=actor, filename=filename, now=now)
            for row, customer, created, fields in outcomes
            if not created
        ],
        batch_size=BATCH_SIZE,
    )


def _record_created(count: int, *, actor, filename: str, now) -> None:
    """One timeline entry for every customer this import created, not one per customer: it belongs to
    no customer, and each new customer's timeline shows it (selectors' IMPORT_SOURCE finds it by the
    customer's created_at, which is this import's `now`). Rows of their own would double the import's
    writes (a row and two foreign-key checks per customer) to say the same thing on every one."""
    data = {"file": filename[:200], "created": count}
    Interaction.objects.create(
        kind=Interaction.Kind.SYSTEM, action=CREATED_ACTION, summary=timeline.summary(action=CREATED_ACTION, data=data),
        user=actor, occurred_at=now, created_at=now, data=data,
    )  # fmt: skip


def _create_tags(plan: ImportPlan, *, actor) -> dict[str, int]:
    if not plan.new_tags:
        return plan.tags
    names = list(plan.new_tags.values())
    before = tag_ids_by_name(names)
    # ignore_conflicts: another import may create the same tag meanwhile; read the ids back.
    Tag.objects.bulk_create([Tag(name=name) for name in names], ignore_conflicts=True)
    after = tag_ids_by_name(names)
    # bulk_create writes no history: record the tags this import made, by its user.
    made = Tag.objects.filter(pk__in=set(after.values()) - set(before.values()))
    Tag.history.bulk_history_create(list(made), default_user=actor)
    bump_cache_version(Tag)  # bulk_create sends no signal: the filter bars' tag menus (crm_project/fragments.py)
    return {**plan.tags, **after}


def _create_companies(plan: ImportPlan, actor, teams: _Teams) -> dict[str, int]:
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
                data={"source": "import"},
            )
            for company in companies
        ],
        batch_size=BATCH_SIZE,
    )
    return {**plan.companies, **{company.name.lower(): company.pk for company in companies}}


def _load_for_update(plan: ImportPlan) -> dict[int, Customer]:
    ids = [row.match_id for row in plan.rows if row.match_id is not None]
    existing: dict[int, Customer] = {}
    for chunk in sql.lookups(ids):
        existing.update(
            (customer.pk, customer) for customer in Customer.objects.select_for_update().filter(pk__in=sql.among(chunk))
        )
    if len(existing) != len(ids):
        raise _Conflict("A matched customer was deleted since the check.")
    return existing


def _owner_for_new(row: ImportRow, actor):
    return row.owner or actor


def _new_customer(row: ImportRow, *, actor, company_ids, teams: _Teams, now) -> Customer:
    owner = _owner_for_new(row, actor)
    customer = Customer(**row.values, owner=owner, team=teams.of(owner), source=Customer.Source.IMPORT,
                        custom_data=row.custom, created_at=now)  # fmt: skip
    customer.phone_normalized = normalize_phone(customer.phone)
    if row.company:
        customer.company_id = company_ids[row.company.lower()]
    if row.consent:
        customer.email_consent, customer.email_consent_at = row.consent, now
    return customer


def _update_customer(customer: Customer, row: ImportRow, *, actor, company_ids, teams: _Teams, now) -> list[str]:
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
    existing: set[tuple[int, int]] = set()
    for chunk in sql.lookups(updated_ids):
        existing.update(through.objects.filter(customer_id__in=sql.among(chunk)).values_list("customer_id", "tag_id"))
    links = sorted(wanted - existing)
    through.objects.bulk_create(
        [through(customer_id=customer_id, tag_id=tag_id) for customer_id, tag_id in links],
        batch_size=BATCH_SIZE,
        ignore_conflicts=True,
    )
    return {customer_id for customer_id, _tag_id in links}


_INTERNAL_FIELDS = {"phone_normalized", "team", "email_consent_at"}


def _audit_entry(row, customer, fields, tagged, *, actor, filename, now) -> Interaction:
    """The timeline entry of a customer the import updated (or found unchanged)."""
    fields = [name for name in fields if name not in _INTERNAL_FIELDS]
    if customer.pk in tagged:
        fields.append("tags")
    summary = "Imported: changed " + ", ".join(fields) if fields else "Imported: no changes"
    return Interaction(
        customer_id=customer.pk, company_id=customer.company_id, kind=Interaction.Kind.SYSTEM, action=AUDIT_ACTION,
        summary=summary[:200], user=actor, occurred_at=now, created_at=now,
        data={"created": False, "fields": fields, "row": row.number, "file": filename[:200]},
    )  # fmt: skip
