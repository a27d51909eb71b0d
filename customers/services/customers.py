"""Writes for customers, companies, consent, tags, the timeline and attachments.

Every state change leaves an audit entry on the timeline (Interaction of kind
SYSTEM): the timeline and the audit trail are the same rows.
"""

from collections.abc import Iterable

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from accounts.models import User
from accounts.selectors import team_for_owner
from crm_project.events import event_emit
from crm_project.helpers import normalize_phone
from crm_project.services import apply_changes
from crm_project.versioning import version_claim

from .. import timeline
from ..models import Attachment, Company, ConsentEvent, Customer, Interaction, Tag

CUSTOMER_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "company",
    "job_title",
    "street",
    "city",
    "postal_code",
    "country",
    "lifecycle_stage",
    "source",
    "external_ref",
    "notes",
    "owner",
    "custom_data",
)
COMPANY_FIELDS = (
    "name",
    "domain",
    "industry",
    "size",
    "phone",
    "street",
    "city",
    "postal_code",
    "country",
    "notes",
    "owner",
)


def timeline_record(
    *,
    action: str,
    actor: User | None,
    customer: Customer | None = None,
    company: Company | None = None,
    data: dict | None = None,
    summary: str | None = None,
) -> Interaction:
    """Write one audit entry on the customer's (and company's) timeline.

    `data` holds the parameters of the action's sentence (customers.timeline); the
    summary defaults to that sentence in English."""
    if company is None and customer is not None:
        company = customer.company
    if summary is None:
        summary = timeline.summary(action=action, data=data)
    return Interaction.objects.create(
        customer=customer,
        company=company,
        kind=Interaction.Kind.SYSTEM,
        action=action,
        summary=summary[:200],
        user=actor,
        data=data or {},
    )


def _resolve_company(fields: dict, actor: User | None) -> None:
    """Forms may pass a new company as a bare name: create it for the actor."""
    company = fields.get("company")
    if isinstance(company, str):
        fields["company"] = company_create(actor=actor, name=company, owner=fields.get("owner") or actor)


# --- customers --------------------------------------------------------------------
@transaction.atomic
def customer_create(*, actor: User | None, tags: Iterable[Tag] = (), **fields) -> Customer:
    """Create a customer. `company` may be a Company or the name of a new one."""
    fields.setdefault("owner", actor)
    _resolve_company(fields, actor)
    customer = Customer(**fields)
    customer.team = team_for_owner(customer.owner)
    customer.phone_normalized = normalize_phone(customer.phone)
    customer.full_clean(exclude=["owner", "team"])
    customer.save()
    if tags:
        customer.tags.set(tags)
    timeline_record(action="customer.created", actor=actor, customer=customer)
    event_emit("customer.created", instance=customer, actor=actor)
    return customer


@transaction.atomic
def customer_update(
    *,
    customer: Customer,
    actor: User | None,
    version: int | None = None,
    add_tags: Iterable[Tag] = (),
    remove_tags: Iterable[Tag] = (),
    **fields,
) -> Customer:
    """Save an edit. With the `version` its form was opened at, a stale edit raises
    StaleEdit and changes nothing. Tags are added and removed as changes, so a tag
    added meanwhile (a bulk action) survives a form that did not show it. Only the
    changed fields are written: a field someone saved meanwhile is not written back,
    and a cached list that reads none of them stays current (crm_project.fragments)."""
    if version is not None:
        version_claim(customer, expected=version)
    _resolve_company(fields, actor)
    changed = apply_changes(customer, fields)
    written = [*changed, "updated_at"]
    if "owner" in changed:
        customer.team = team_for_owner(customer.owner)
        written.append("team")
    if (normalized := normalize_phone(customer.phone)) != customer.phone_normalized:
        customer.phone_normalized = normalized
        written.append("phone_normalized")
    customer.full_clean(exclude=["owner", "team"])
    customer.save(update_fields=written)
    added, removed = list(add_tags), list(remove_tags)
    customer.tags.add(*added)
    customer.tags.remove(*removed)
    if added or removed:
        changed.append("tags")
    if changed:
        timeline_record(
            action="customer.updated",
            actor=actor,
            customer=customer,
            data={"fields": changed},
        )
        event_emit("customer.updated", instance=customer, actor=actor, data={"fields": changed})
    return customer


@transaction.atomic
def customer_reassign(*, customer: Customer, owner: User, actor: User | None) -> Customer:
    previous = customer.owner
    customer.owner = owner
    customer.team = team_for_owner(owner)
    customer.version = F("version") + 1
    customer.save(update_fields=["owner", "team", "version", "updated_at"])
    customer.refresh_from_db(fields=["version"])
    timeline_record(
        action="customer.reassigned",
        actor=actor,
        customer=customer,
        data={
            "from": previous.pk if previous else None,
            "from_name": str(previous) if previous else None,
            "to": owner.pk,
            "to_name": str(owner),
        },
    )
    if owner != previous:
        event_emit("customer.updated", instance=customer, actor=actor, data={"fields": ["owner"]})
    return customer


@transaction.atomic
def customer_delete(*, customer: Customer, actor: User | None) -> None:
    """Soft delete: hidden everywhere, recoverable by an admin."""
    customer.deleted_at = timezone.now()
    customer.save(update_fields=["deleted_at", "updated_at"])
    timeline_record(action="customer.deleted", actor=actor, customer=customer)


@transaction.atomic
def customer_restore(*, customer: Customer, actor: User | None) -> Customer:
    customer.deleted_at = None
    customer.save(update_fields=["deleted_at", "updated_at"])
    timeline_record(action="customer.restored", actor=actor, customer=customer)
    return customer


# --- bulk actions (set-based) -------------------------------------------------------
@transaction.atomic
def customers_assign_owner(*, customers: QuerySet, owner: User, actor: User | None) -> int:
    ids = list(customers.values_list("pk", flat=True))
    team = team_for_owner(owner)
    Customer.objects.filter(pk__in=ids).update(
        owner=owner, team=team, version=F("version") + 1, updated_at=timezone.now()
    )
    _bulk_timeline(ids, action="customer.reassigned", actor=actor, data={"to": owner.pk, "to_name": str(owner)})
    return len(ids)


@transaction.atomic
def customers_add_tag(*, customers: QuerySet, tag: Tag, actor: User | None) -> int:
    ids = list(customers.exclude(tags=tag).values_list("pk", flat=True))
    through = Customer.tags.through
    through.objects.bulk_create([through(customer_id=pk, tag_id=tag.pk) for pk in ids], batch_size=1000)
    _bulk_timeline(ids, action="customer.tagged", actor=actor, data={"tag": tag.pk, "tag_name": str(tag)})
    return len(ids)


def _bulk_timeline(customer_ids: list[int], *, action: str, actor, data: dict) -> None:
    summary = timeline.summary(action=action, data=data)
    company_of = dict(Customer.objects.filter(pk__in=customer_ids).values_list("pk", "company_id"))
    Interaction.objects.bulk_create(
        [
            Interaction(
                customer_id=pk,
                company_id=company_of.get(pk),
                kind=Interaction.Kind.SYSTEM,
                action=action,
                summary=summary,
                user=actor,
                data=data,
            )
            for pk in customer_ids
        ],
        batch_size=1000,
    )


# --- consent -----------------------------------------------------------------------
@transaction.atomic
def consent_record(*, customer: Customer, status: str, source: str, actor: User | None, note: str = "") -> ConsentEvent:
    """Append to the consent log and update the customer's current consent.

    Every call is logged (a confirmation of the same status too); the event
    consent.changed goes out only when the status changes."""
    previous = customer.email_consent
    event = ConsentEvent.objects.create(customer=customer, status=status, source=source, actor=actor, note=note)
    customer.email_consent = status
    customer.email_consent_at = event.created_at
    customer.save(update_fields=["email_consent", "email_consent_at", "updated_at"])
    timeline_record(
        action="consent.changed",
        actor=actor,
        customer=customer,
        data={"status": status, "source": source},
    )
    if status != previous:
        context = {"from_status": previous, "status": status, "source": source}
        event_emit("consent.changed", instance=customer, actor=actor, data=context)
    return event


# --- timeline ----------------------------------------------------------------------
@transaction.atomic
def interaction_log(
    *, customer: Customer, kind: str, summary: str, actor: User, body: str = "", occurred_at=None
) -> Interaction:
    return Interaction.objects.create(
        customer=customer,
        company=customer.company,
        kind=kind,
        summary=summary,
        body=body,
        user=actor,
        occurred_at=occurred_at or timezone.now(),
    )


# --- attachments -------------------------------------------------------------------
@transaction.atomic
def attachment_add(
    *, upload, actor: User, customer: Customer | None = None, company: Company | None = None
) -> Attachment:
    attachment = Attachment.objects.create(
        customer=customer,
        company=company,
        file=upload,
        original_name=upload.name[:255],
        size=upload.size,
        content_type=getattr(upload, "content_type", "") or "application/octet-stream",
        uploaded_by=actor,
    )
    timeline_record(
        action="attachment.added",
        actor=actor,
        customer=customer,
        company=company,
        data={"file": attachment.original_name},
    )
    return attachment


# --- companies ---------------------------------------------------------------------
@transaction.atomic
def company_create(*, actor: User | None, **fields) -> Company:
    fields.setdefault("owner", actor)
    company = Company(**fields)
    company.team = team_for_owner(company.owner)
    company.full_clean(exclude=["owner", "team"])
    company.save()
    timeline_record(action="company.created", actor=actor, company=company)
    return company


@transaction.atomic
def company_update(*, company: Company, actor: User | None, version: int | None = None, **fields) -> Company:
    if version is not None:
        version_claim(company, expected=version)
    changed = apply_changes(company, fields)
    if "owner" in changed:
        company.team = team_for_owner(company.owner)
    company.full_clean(exclude=["owner", "team"])
    company.save()
    if changed:
        timeline_record(
            action="company.updated",
            actor=actor,
            company=company,
            data={"fields": changed},
        )
    return company


@transaction.atomic
def company_delete(*, company: Company, actor: User | None) -> None:
    company.deleted_at = timezone.now()
    company.save(update_fields=["deleted_at", "updated_at"])
    timeline_record(action="company.deleted", actor=actor, company=company)
