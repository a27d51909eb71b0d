"""Merging two customer records that turned out to be the same person.

The survivor takes the chosen values; everything that points at the other
record (interactions, consent events, attachments and whatever later apps
link to a customer) moves to the survivor; the other record is soft-deleted.
Nothing is lost: the other row stays (deleted), and both timelines record it.
"""

from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.selectors import team_for_owner
from crm_project.events import event_emit
from crm_project.helpers import normalize_phone

from ..models import Customer
from .customers import timeline_record

MERGE_FIELDS = (
    "first_name", "last_name", "email", "phone", "company", "job_title", "street", "city", "postal_code",
    "country", "lifecycle_stage", "source", "external_ref", "notes", "owner",
)  # fmt: skip
NOTES_SEPARATOR = "\n\n---\n\n"


def is_empty(value) -> bool:
    return value is None or value == "" or value == {}


def notes_combined(first: str, second: str) -> str:
    """Both notes, once each, in order."""
    parts = [text for text in (first.strip(), second.strip()) if text]
    return NOTES_SEPARATOR.join(dict.fromkeys(parts))


def merge_default_values(*, survivor: Customer, other: Customer) -> dict:
    """What a merge keeps unless told otherwise: the survivor's value, or the
    other's when the survivor's is empty; both notes; the union of custom data."""
    values: dict[str, Any] = {}
    for name in MERGE_FIELDS:
        if name == "notes":
            values[name] = notes_combined(survivor.notes, other.notes)
            continue
        mine = getattr(survivor, name)
        values[name] = getattr(other, name) if is_empty(mine) else mine
    values["custom_data"] = {
        **other.custom_data,
        **{key: value for key, value in survivor.custom_data.items() if not is_empty(value)},
    }
    return values


@transaction.atomic
def customer_merge(*, survivor: Customer, other: Customer, field_values: dict, actor: User | None) -> Customer:
    """Merge `other` into `survivor` and soft-delete `other`.

    `field_values` maps names from MERGE_FIELDS (and "custom_data", the final
    dict) to the values to keep (model instances for company and owner); fields
    left out get merge_default_values()."""
    unknown = set(field_values) - {*MERGE_FIELDS, "custom_data"}
    if unknown:
        raise ValueError(f"Cannot merge fields: {', '.join(sorted(unknown))}")
    survivor, other = _lock(survivor.pk, other.pk)
    values = {**merge_default_values(survivor=survivor, other=other), **field_values}

    if not is_empty(other.external_ref) and values["external_ref"] == other.external_ref:
        # The constraint allows one row per reference, the deleted one included.
        other.external_ref = ""
        other.save(update_fields=["external_ref"])
    changed = _apply(survivor, values)
    consent_before = survivor.email_consent
    _keep_latest_consent(survivor, other)
    survivor.full_clean(exclude=["owner", "team"])
    survivor.save()
    _union_tags(survivor=survivor, other=other)
    moved = _move_related(survivor=survivor, other=other)

    other.deleted_at = timezone.now()
    other.save(update_fields=["deleted_at", "updated_at"])
    timeline_record(
        action="customer.merged", actor=actor, customer=survivor,
        data={"merged": other.pk, "merged_name": str(other), "fields": changed, "moved": moved},
    )  # fmt: skip
    timeline_record(
        action="customer.merged_away", actor=actor, customer=other,
        data={"merged_into": survivor.pk, "merged_into_name": str(survivor)},
    )  # fmt: skip
    _emit_events(survivor=survivor, other=other, consent_before=consent_before, actor=actor)
    return survivor


def _emit_events(*, survivor: Customer, other: Customer, consent_before: str, actor: User | None) -> None:
    event_emit("customer.merged", instance=survivor, actor=actor, data={"merged_customer": other.pk})
    if survivor.email_consent != consent_before:
        # The other record's later decision now stands for the survivor (source "merge": no form, no import).
        context = {"from_status": consent_before, "status": survivor.email_consent, "source": "merge"}
        event_emit("consent.changed", instance=survivor, actor=actor, data=context)


def _lock(survivor_pk: int, other_pk: int) -> tuple[Customer, Customer]:
    if survivor_pk == other_pk:
        raise ValidationError(_("A customer cannot be merged with itself."))
    rows = (
        Customer.all_objects.select_for_update(of=("self",))
        .select_related("company", "owner")
        .in_bulk([survivor_pk, other_pk])
    )
    survivor, other = rows.get(survivor_pk), rows.get(other_pk)
    if survivor is None or other is None or survivor.deleted_at or other.deleted_at:
        raise ValidationError(_("One of these customers was deleted or merged in the meantime."))
    return survivor, other


def _apply(survivor: Customer, values: dict) -> dict:
    """Set the values on the survivor; return the changed ones, JSON-ready, for the audit entry."""
    changed = {}
    for name, value in values.items():
        if name in ("company", "owner"):
            before, after = getattr(survivor, f"{name}_id"), value.pk if value is not None else None
        else:
            before, after = getattr(survivor, name), value
        if before != after:
            setattr(survivor, name, value)
            changed[name] = after
    if "owner" in changed:
        survivor.team = team_for_owner(survivor.owner)
    survivor.phone_normalized = normalize_phone(survivor.phone)
    return changed


def _keep_latest_consent(survivor: Customer, other: Customer) -> None:
    """The most recent consent decision wins."""
    if other.email_consent_at and (
        survivor.email_consent_at is None or other.email_consent_at > survivor.email_consent_at
    ):
        survivor.email_consent = other.email_consent
        survivor.email_consent_at = other.email_consent_at


def _union_tags(*, survivor: Customer, other: Customer) -> None:
    through = Customer.tags.through
    missing = (
        through.objects.filter(customer_id=other.pk)
        .exclude(tag_id__in=through.objects.filter(customer_id=survivor.pk).values("tag_id"))
        .values_list("tag_id", flat=True)
    )
    through.objects.bulk_create([through(customer_id=survivor.pk, tag_id=tag_id) for tag_id in missing])


def _move_related(*, survivor: Customer, other: Customer) -> dict[str, int]:
    """Point every row that refers to `other` at `survivor`, for every model
    with a foreign key (or a many-to-many) to Customer. Returns counts by model."""
    moved = {}
    for relation in Customer._meta.related_objects:
        model = relation.related_model
        if relation.many_to_many:
            count = _move_many_to_many(cast(models.ManyToManyRel, relation), survivor=survivor, other=other)
        elif relation.one_to_one and model._base_manager.filter(**{relation.field.name: survivor}).exists():
            continue  # The survivor has its own; the other's stays with the deleted row.
        else:
            count = model._base_manager.filter(**{relation.field.name: other}).update(**{relation.field.name: survivor})
        if count:
            moved[model._meta.label_lower] = count
    return moved


def _move_many_to_many(relation: models.ManyToManyRel, *, survivor: Customer, other: Customer) -> int:
    """Links from another model's many-to-many: move those the survivor lacks."""
    field = relation.field
    through = cast(type[models.Model], relation.through)  # always set once the apps are loaded
    to_customer, to_owner = field.m2m_reverse_field_name(), field.m2m_field_name()
    links = through._base_manager
    already = links.filter(**{to_customer: survivor}).values(to_owner)
    return (
        links.filter(**{to_customer: other}).exclude(**{f"{to_owner}__in": already}).update(**{to_customer: survivor})
    )
