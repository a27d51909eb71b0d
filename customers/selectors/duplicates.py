"""Likely duplicate customers, found set-based.

For each reason the customers the user may edit get a normalised key; a
GROUP BY ... HAVING COUNT(*) > 1 query finds the keys shared by several
customers, and ROW_NUMBER() keeps the first few members of each group. One
query per reason, whatever the number of customers or pairs; the pairs are
built in Python from that small result.
"""

from dataclasses import dataclass, field
from itertools import combinations
from typing import TYPE_CHECKING, Any

from django.db.models import CharField, Count, F, QuerySet, Value, Window
from django.db.models.functions import Cast, Concat, Length, Lower, Replace, RowNumber, Trim
from django.utils.translation import gettext_lazy as _

from ..models import Customer

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

EMAIL, PHONE, NAME = "email", "phone", "name"
REASON_LABELS = {EMAIL: _("Same email"), PHONE: _("Same phone"), NAME: _("Same name and company")}
MIN_PHONE_DIGITS = 6
# Caps that keep the page cheap when the data is very messy.
MAX_GROUP_MEMBERS = 10
MAX_GROUPS_PER_REASON = 500
MAX_PAIRS = 1000


@dataclass
class DuplicatePair:
    first_id: int
    second_id: int
    reasons: list[str] = field(default_factory=list)
    first: Customer | None = None
    second: Customer | None = None

    @property
    def reason_labels(self) -> list["StrOrPromise"]:
        return [REASON_LABELS[reason] for reason in self.reasons]


def _keyed(queryset: QuerySet[Customer], reason: str) -> QuerySet[Any]:  # Any: annotated with `dup_key`
    """The customers that take part in `reason`, annotated with their `dup_key`."""
    if reason == EMAIL:
        return queryset.exclude(email="").annotate(dup_key=Lower(Trim("email")))
    if reason == PHONE:
        digits = Length(Replace("phone_normalized", Value("+"), Value("")))
        return (
            queryset.annotate(phone_digits=digits)
            .filter(phone_digits__gte=MIN_PHONE_DIGITS)
            .annotate(dup_key=F("phone_normalized"))
        )
    separator = Value("\x1f")
    return (
        queryset.filter(company__isnull=False)
        .exclude(last_name="")
        .annotate(
            dup_key=Concat(
                Lower(Trim("first_name")), separator, Lower(Trim("last_name")), separator,
                Cast("company_id", CharField()), output_field=CharField(),
            )
        )
    )  # fmt: skip


def _groups(queryset: QuerySet[Customer], reason: str) -> list[tuple[str, int]]:
    """(key, pk) for the first members of each group sharing a key, by key then pk."""
    keyed = _keyed(queryset, reason)
    shared_keys = (
        keyed.order_by()
        .values("dup_key")
        .annotate(members=Count("pk"))
        .filter(members__gt=1)
        .order_by("dup_key")
        .values("dup_key")[:MAX_GROUPS_PER_REASON]
    )
    return list(
        keyed.filter(dup_key__in=shared_keys)
        .annotate(position=Window(RowNumber(), partition_by=F("dup_key"), order_by=F("pk").asc()))
        .filter(position__lte=MAX_GROUP_MEMBERS)
        .order_by("dup_key", "pk")
        .values_list("dup_key", "pk")
    )


def duplicate_pairs_for_user(*, user) -> list[DuplicatePair]:
    """Pairs of customers the user may edit that look like the same person.

    Each pair appears once (lower pk first) with every reason that links it;
    at most MAX_PAIRS pairs. Customers are not loaded: see duplicate_pairs_load."""
    editable = Customer.objects.editable_by(user)
    pairs: dict[tuple[int, int], DuplicatePair] = {}
    for reason in REASON_LABELS:
        members_by_key: dict[str, list[int]] = {}
        for key, pk in _groups(editable, reason):
            members_by_key.setdefault(key, []).append(pk)
        for members in members_by_key.values():
            for first_id, second_id in combinations(members, 2):
                pair = pairs.get((first_id, second_id))
                if pair is None:
                    pair = pairs[first_id, second_id] = DuplicatePair(first_id, second_id)
                if reason not in pair.reasons:
                    pair.reasons.append(reason)
    return list(pairs.values())[:MAX_PAIRS]


def duplicate_pairs_load(pairs: list[DuplicatePair]) -> list[DuplicatePair]:
    """Attach both customers (with their company) to each pair, in one query."""
    ids = {pk for pair in pairs for pk in (pair.first_id, pair.second_id)}
    customers = Customer.objects.select_related("company").in_bulk(ids)
    for pair in pairs:
        pair.first, pair.second = customers.get(pair.first_id), customers.get(pair.second_id)
    return [pair for pair in pairs if pair.first and pair.second]
