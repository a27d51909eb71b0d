"""Reads of segments: who matches one (live, for the editor and the refresh) and its stored members.

Segments cover the whole customer base, not the creating user's scope: marketers
and managers market to every opted-in customer, and a segment's members must not
change with whoever refreshed it last (a beat refresh has no user at all)."""

from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import HttpRequest, QueryDict
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.filters import CustomerFilter
from customers.models import Customer
from customers.selectors.customers import custom_fields_active

from ..models import Segment, SegmentMember
from ..rules import OPS, rules_q, segment_fields

# Parameters of the customer list that are not filters (kept in its query strings, ignored here).
NOT_FILTERS = ("sort", "per_page", "page", "view", "cols")


def customer_filterset(filters: str, queryset: QuerySet[Customer] | None = None) -> CustomerFilter:
    """The customer list's FilterSet over `filters` (its query string), re-validated as a
    saved view is: parameters that no longer validate (an owner who left, a removed custom
    field, a tampered id) are left out, never trusted."""
    queryset = Customer.objects.all() if queryset is None else queryset
    stored = QueryDict(filters or "")
    custom_fields = custom_fields_active()
    # The FilterSet lists users only for a request; any request will do (no user scope).
    request = HttpRequest()
    filterset = CustomerFilter(data=stored, queryset=queryset, custom_fields=custom_fields, request=request)
    filterset.form.is_valid()
    kept = QueryDict(mutable=True)
    for key in stored:
        if key in filterset.filters and key not in filterset.form.errors and key not in NOT_FILTERS:
            kept.setlist(key, stored.getlist(key))
    return CustomerFilter(data=kept, queryset=queryset, custom_fields=custom_fields, request=request)


def filters_kept(filters: str) -> str:
    """The part of a customer list query string that a segment keeps (its valid filters)."""
    data = customer_filterset(filters).data
    return data.urlencode() if isinstance(data, QueryDict) else ""


def segment_matches(*, filters: str, rules: dict | None) -> QuerySet[Customer]:
    """Live (not deleted) customers matching the list's filters and the rules."""
    return customer_filterset(filters).qs.filter(rules_q(rules))


def segment_queryset(segment: Segment) -> QuerySet[Customer]:
    """Who belongs to the segment now: for a dynamic one, who matches its filters and
    rules; for a static list, its members (deleted customers left out)."""
    if not segment.is_dynamic:
        return Customer.objects.filter(pk__in=SegmentMember.objects.filter(segment=segment).values("customer_id"))
    return segment_matches(filters=segment.filters, rules=segment.rules)


def segment_members(segment: Segment) -> QuerySet[Customer]:
    """The stored members (as of the last refresh), for the detail page and exports."""
    return (
        Customer.objects.filter(segment_memberships__segment=segment)
        .select_related("owner")
        .order_by("last_name", "first_name", "pk")
    )


def segment_list() -> QuerySet[Segment]:
    return Segment.objects.select_related("created_by")


def segment_get(*, pk: int) -> Segment:
    return get_object_or_404(Segment, pk=pk)


def segments_due() -> list[Segment]:
    """Dynamic segments whose last refresh is older than their interval (or never ran)."""
    now = timezone.now()
    due = []
    for segment in Segment.objects.filter(kind=Segment.Kind.DYNAMIC).only("pk", "refreshed_at", "refresh_minutes"):
        if segment.refreshed_at is None or (now - segment.refreshed_at).total_seconds() >= 60 * segment.refresh_minutes:
            due.append(segment)
    return due


@dataclass(frozen=True)
class FieldChoice:
    """A rule field as the editor offers it: its operators and, for choice fields, values."""

    key: str
    label: str
    kind: str
    ops: list[tuple[str, str]]
    choices: list[tuple[str, str]]


def rule_field_choices() -> list[FieldChoice]:
    return [
        FieldChoice(
            key=key,
            label=str(f.label),
            kind=f.kind,
            ops=[(op, str(OPS[op])) for op in f.ops],
            choices=f.choices() if f.kind == "choice" else [],
        )
        for key, f in segment_fields().items()
    ]


def rules_sentences(rules: dict | None) -> list[str]:
    """The rules as lines a person reads ("Country is DE"), groups indented with their match."""
    fields = segment_fields()
    rules = rules or {}

    def line(rule: dict) -> str:
        f = fields.get(str(rule.get("field")))
        label = str(f.label) if f else rule.get("field", "?")
        labels = dict(f.choices()) if f and f.kind == "choice" else {}
        raw = rule.get("value")
        values = raw if isinstance(raw, list) else [raw]
        shown = ", ".join(str(labels.get(str(value), value)) for value in values)
        op = str(OPS.get(str(rule.get("op")), rule.get("op")))
        return f"{label} {op}" if rule.get("op") == "is_set" else f"{label} {op} {shown}"

    lines = [line(rule) for rule in rules.get("rules") or []]
    for group in rules.get("groups") or []:
        word = _("any of") if group.get("match") == "any" else _("all of")
        lines.append(f"{word}: " + "; ".join(line(rule) for rule in group.get("rules") or []))
    return lines
