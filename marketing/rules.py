"""Segment rules: a registry of fields a rule may test, and rules JSON → one Q on Customer.

A segment's rules are
    {"match": "all" | "any", "rules": [{"field": "country", "op": "eq", "value": "DE"}, ...],
     "groups": [{"match": "any", "rules": [...]}, ...]}     # one level of groups
and each rule becomes a Q through its field's `q(op, value)`. Rules never join
a many-valued relation directly (tags, RFM scores are `pk IN (subquery)`), so
OR-ed rules cannot multiply rows.

Fields: the customer's own (country, stage, owner, team, tags, consent, the
active custom fields), its order figures (`sales.CustomerStats`: lifetime spend,
order count, days since the last order), its RFM segment and R/F/M scores in the
latest run that keeps its scores (as the customer list's RFM filters read it), its
lifetime value, chance of being still active and "slipping away" in the latest kept
CLV run (as the customer list's CLV filters read them),
and whatever other apps list in settings `CRM_SEGMENT_FIELDS`: dotted paths to a
`SegmentField` or to a callable returning several (support adds "open tickets"
and "last CSAT" that way; marketing never imports support).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol, runtime_checkable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import DecimalField, Q, Value
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, NullIf
from django.db.models.lookups import Exact, GreaterThan, LessThan
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Team
from accounts.selectors import active_users
from analytics.models import ClvScore, RfmScore, RfmSegment
from analytics.selectors.clv import clv_latest_run, clv_latest_run_id, clv_previous_run, clv_slipping_away
from analytics.selectors.rfm import rfm_latest_kept_run_id
from customers.models import Customer, CustomField, Tag

# Operators, with the words the editor shows.
OPS: dict[str, Promise] = {
    "eq": gettext_lazy("is"),
    "ne": gettext_lazy("is not"),
    "in": gettext_lazy("is one of"),
    "gt": gettext_lazy("more than"),
    "lt": gettext_lazy("less than"),
    "contains": gettext_lazy("contains"),
    "is_set": gettext_lazy("is set"),
}
TEXT_OPS = ("eq", "ne", "in", "contains", "is_set")
CHOICE_OPS = ("eq", "ne", "in")
NUMBER_OPS = ("eq", "ne", "gt", "lt", "in")
MATCHES = ("all", "any")


@runtime_checkable
class SegmentField(Protocol):
    """What a rule field offers. Other apps implement it (or reuse `LookupField`) and
    list it in settings CRM_SEGMENT_FIELDS.

    - key: stable name stored in rules ("open_tickets"); label: shown in the editor;
    - kind: "text" | "number" | "date" | "choice" (how the editor asks for the value);
    - ops: the operators it allows (keys of OPS);
    - choices(): [(value, label)] for "choice" fields, else [];
    - parse(op, raw): the value to test (raises ValueError when unparsable);
    - q(op, value): a Q on Customer, with value as `parse` returned it."""

    @property
    def key(self) -> str: ...

    @property
    def label(self) -> Any: ...

    @property
    def kind(self) -> str: ...

    @property
    def ops(self) -> tuple[str, ...]: ...

    def choices(self) -> list[tuple[str, str]]: ...

    def parse(self, op: str, raw: Any) -> Any: ...

    def q(self, op: str, value: Any) -> Q: ...


def _as_list(raw: Any) -> list[str]:
    items = raw if isinstance(raw, list) else str(raw or "").split(",")
    values = [str(item).strip() for item in items if str(item).strip()]
    if not values:
        raise ValueError(_("Give at least one value."))
    return values


def _number(raw: Any) -> Decimal:
    try:
        value = Decimal(str(raw).strip().replace(",", "."))
    except InvalidOperation:
        raise ValueError(_("“%(value)s” is not a number.") % {"value": raw}) from None
    if not value.is_finite():
        raise ValueError(_("“%(value)s” is not a number.") % {"value": raw})
    return value


def _truth(raw: Any) -> bool:
    return str(raw).strip().lower() not in {"0", "false", "no", "off"}


def compare_q(op: str, value: Any, *, lookup: str) -> Q:
    """eq / ne / in / gt / lt / contains on a plain lookup path."""
    if op == "eq":
        return Q(**{lookup: value})
    if op == "ne":
        return ~Q(**{lookup: value})
    if op == "in":
        return Q(**{f"{lookup}__in": value})
    if op in ("gt", "lt", "contains"):
        return Q(**{f"{lookup}__{'icontains' if op == 'contains' else op}": value})
    raise ValueError(op)


@dataclass(frozen=True)
class LookupField:
    """A field read through one ORM lookup on Customer (a column or a to-one path).

    `missing`: the value a customer without the row behind the lookup counts as
    (0 orders for a customer without CustomerStats): rules that the missing value
    satisfies also match those customers."""

    key: str
    label: Any
    kind: str
    lookup: str
    ops: tuple[str, ...]
    choice_list: Callable[[], Iterable[tuple[Any, Any]]] | None = None
    missing: Any = None
    missing_lookup: str = ""
    iexact: bool = False

    def choices(self) -> list[tuple[str, str]]:
        return [(str(value), str(label)) for value, label in self.choice_list()] if self.choice_list else []

    def parse(self, op: str, raw: Any) -> Any:
        if op == "is_set":
            return _truth(raw)
        if op == "in":
            return [self._one(item) for item in _as_list(raw)]
        if isinstance(raw, list):
            raise ValueError(_("Give one value."))
        return self._one(raw)

    def _one(self, raw: Any) -> Any:
        text = str(raw if raw is not None else "").strip()
        if not text:
            raise ValueError(_("Give a value."))
        if self.kind == "number":
            return _number(text)
        if self.kind == "date":
            try:
                return date.fromisoformat(text).isoformat()
            except ValueError:
                raise ValueError(_("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": text}) from None
        if self.kind == "choice" and self.choice_list is not None:
            allowed = {value for value, _label in self.choices()}
            if text not in allowed:
                raise ValueError(_("“%(value)s” is not one of the choices.") % {"value": text})
        return text.upper() if self.iexact else text

    def q(self, op: str, value: Any) -> Q:
        if op == "is_set":
            is_set = Q(**{f"{self.lookup}__isnull": False})
            if self.kind == "text":
                is_set &= ~Q(**{self.lookup: ""})
            return is_set if value else ~is_set
        lookup = f"{self.lookup}__iexact" if self.iexact and op in ("eq", "ne") else self.lookup
        matched = compare_q(op, value, lookup=lookup)
        if self.missing is not None and _satisfies(self.missing, op, value):
            matched |= Q(**{f"{self.missing_lookup}__isnull": True})
        return matched


def _satisfies(missing: Any, op: str, value: Any) -> bool:
    """Does the value a customer without the row counts as pass the rule?"""
    if op == "eq":
        return missing == value
    if op == "ne":
        return missing != value
    if op == "in":
        return missing in value
    if op == "gt":
        return missing > value
    if op == "lt":
        return missing < value
    return False


@dataclass(frozen=True)
class TagField:
    """Has tag (eq), lacks it (ne), has any of (in), has any tag at all (is_set)."""

    key: str = "tag"
    label: Any = gettext_lazy("Tag")
    kind: str = "choice"
    ops: tuple[str, ...] = ("eq", "ne", "in", "is_set")

    def choices(self) -> list[tuple[str, str]]:
        return [(str(pk), name) for pk, name in Tag.objects.order_by("name").values_list("pk", "name")]

    def parse(self, op: str, raw: Any) -> Any:
        if op == "is_set":
            return _truth(raw)
        values = _as_list(raw) if op == "in" else [str(raw or "").strip()]
        if not all(value.isdigit() for value in values):
            raise ValueError(_("Choose a tag."))
        return [int(value) for value in values] if op == "in" else int(values[0])

    def q(self, op: str, value: Any) -> Q:
        tagged = Customer.tags.through.objects
        if op == "is_set":
            has = Q(pk__in=tagged.values("customer_id"))
            return has if value else ~has
        ids = value if op == "in" else [value]
        has = Q(pk__in=tagged.filter(tag_id__in=ids).values("customer_id"))
        return ~has if op == "ne" else has


@dataclass(frozen=True)
class DaysSinceLastOrderField:
    """Days since the last paid order (CustomerStats.last_order_at). Customers who never
    ordered have no such number: only `is_set` = false finds them."""

    key: str = "days_since_last_order"
    label: Any = gettext_lazy("Days since last order")
    kind: str = "number"
    ops: tuple[str, ...] = ("gt", "lt", "is_set")

    def choices(self) -> list[tuple[str, str]]:
        return []

    def parse(self, op: str, raw: Any) -> Any:
        if op == "is_set":
            return _truth(raw)
        number = _number(raw)
        if number < 0 or number != int(number):
            raise ValueError(_("Give a whole number of days."))
        return int(number)

    def q(self, op: str, value: Any) -> Q:
        if op == "is_set":
            has = Q(stats__last_order_at__isnull=False)
            return has if value else ~has
        # "more than N days ago" is before now − N days; measured from now, not midnight.
        boundary = timezone.now() - timedelta(days=value)
        return Q(stats__last_order_at__lt=boundary) if op == "gt" else Q(stats__last_order_at__gt=boundary)


@dataclass(frozen=True)
class RfmField:
    """A customer's RFM segment (by name) or R/F/M score in the latest run that keeps its
    scores (`rfm_latest_kept_run_id`, as the customer list's RFM filters). Customers that
    run did not score match no positive rule, and every "is not"."""

    key: str
    label: Any
    kind: str
    ops: tuple[str, ...]
    column: str  # "segment__name", "r_score", ...

    def choices(self) -> list[tuple[str, str]]:
        if self.kind == "choice":
            return [(segment.name, segment.display_name) for segment in RfmSegment.objects.all()]
        return []

    def parse(self, op: str, raw: Any) -> Any:
        values = _as_list(raw) if op == "in" else [str(raw or "").strip()]
        if self.kind == "choice":
            known = {name for name, _label in self.choices()}
            unknown = [value for value in values if value not in known]
            if unknown:
                raise ValueError(_("“%(value)s” is not an RFM segment.") % {"value": unknown[0]})
            return values if op == "in" else values[0]
        scores = []
        for value in values:
            if value not in {"1", "2", "3", "4", "5"}:
                raise ValueError(_("A score is a whole number from 1 to 5."))
            scores.append(int(value))
        return scores if op == "in" else scores[0]

    def q(self, op: str, value: Any) -> Q:
        run_id = rfm_latest_kept_run_id()
        if run_id is None:
            return Q(pk__in=[]) if op != "ne" else Q()
        positive_op = "eq" if op == "ne" else op
        scores = RfmScore.objects.filter(compare_q(positive_op, value, lookup=self.column), run_id=run_id)
        matched = Q(pk__in=scores.values("customer_id"))
        return ~matched if op == "ne" else matched


@dataclass(frozen=True)
class ClvField:
    """A customer's lifetime value or chance of being still active (in per cent) in the latest
    CLV run that keeps its scores. Customers that run did not score match no rule."""

    key: str
    label: Any
    column: str  # "clv" or "p_alive"
    kind: str = "number"
    ops: tuple[str, ...] = ("gt", "lt")

    def choices(self) -> list[tuple[str, str]]:
        return []

    def parse(self, op: str, raw: Any) -> Any:
        number = _number(raw)
        if self.column == "p_alive" and not 0 <= number <= 100:
            raise ValueError(_("Give a percentage from 0 to 100."))
        return number

    def q(self, op: str, value: Any) -> Q:
        run_id = clv_latest_run_id()
        if run_id is None:
            return Q(pk__in=[])
        threshold = float(value) / 100 if self.column == "p_alive" else value
        scores = ClvScore.objects.filter(compare_q(op, threshold, lookup=self.column), run_id=run_id)
        return Q(pk__in=scores.values("customer_id"))


YES, NO = "yes", "no"


@dataclass(frozen=True)
class ClvSlippingField:
    """Slipping away in the latest kept CLV run (analytics.selectors.clv.clv_slipping_away):
    "yes" or "no"; customers the run did not score are not slipping."""

    key: str = "clv_slipping"
    label: Any = gettext_lazy("Slipping away (lifetime value)")
    kind: str = "choice"
    ops: tuple[str, ...] = ("eq",)

    def choices(self) -> list[tuple[str, str]]:
        return [(YES, str(gettext_lazy("yes"))), (NO, str(gettext_lazy("no")))]

    def parse(self, op: str, raw: Any) -> Any:
        value = str(raw or "").strip().lower()
        if value not in (YES, NO):
            raise ValueError(_("Choose yes or no."))
        return value

    def q(self, op: str, value: Any) -> Q:
        run = clv_latest_run()
        slipping = clv_slipping_away(run=run, previous=clv_previous_run(run)) if run else ClvScore.objects.none()
        matched = Q(pk__in=slipping.values("customer_id"))
        return matched if value == YES else ~matched


@dataclass(frozen=True)
class CustomFieldRule:
    """One active customers.CustomField. Values are stored as JSON strings (numbers as
    decimal strings, dates ISO), so numbers are cast before comparing."""

    custom: CustomField

    @property
    def ops(self) -> tuple[str, ...]:
        return self._lookup_field().ops

    @property
    def key(self) -> str:
        return f"cf_{self.custom.key}"

    @property
    def label(self) -> str:
        return self.custom.label

    @property
    def kind(self) -> str:
        return {"number": "number", "date": "date", "choice": "choice"}.get(self.custom.field_type, "text")

    def _lookup_field(self) -> LookupField:
        kind = self.kind
        ops = {"number": NUMBER_OPS, "date": ("eq", "ne", "gt", "lt"), "choice": CHOICE_OPS}.get(kind, TEXT_OPS)
        choice_list = (lambda: [(c, c) for c in self.custom.choice_list]) if kind == "choice" else None
        return LookupField(
            key=self.key,
            label=self.label,
            kind=kind,
            lookup=f"custom_data__{self.custom.key}",
            ops=(*ops, "is_set"),
            choice_list=choice_list,
        )

    def choices(self) -> list[tuple[str, str]]:
        return self._lookup_field().choices()

    def parse(self, op: str, raw: Any) -> Any:
        value = self._lookup_field().parse(op, raw)
        return [str(v) for v in value] if isinstance(value, list) else value

    def q(self, op: str, value: Any) -> Q:
        if self.kind != "number" or op == "is_set":
            return self._lookup_field().q(op, value if op == "is_set" or self.kind != "number" else str(value))
        number = Cast(
            NullIf(KT(f"custom_data__{self.custom.key}"), Value("")), DecimalField(max_digits=30, decimal_places=6)
        )
        if op == "in":
            return Q(*[Exact(number, Decimal(v)) for v in value], _connector=Q.OR)
        compared = {"eq": Exact, "ne": Exact, "gt": GreaterThan, "lt": LessThan}[op](number, Decimal(value))
        if op == "ne":  # a customer without the value is "not" it too
            return ~Q(compared) | Q(**{f"custom_data__{self.custom.key}__isnull": True})
        return Q(compared)


def _users():
    return [(user.pk, user.get_full_name() or user.username) for user in active_users()]


def _teams():
    return Team.objects.order_by("name").values_list("pk", "name")


def _fixed_fields() -> list[SegmentField]:
    return [
        LookupField("country", gettext_lazy("Country"), "text", "country", TEXT_OPS, iexact=True),
        LookupField(
            "lifecycle_stage",
            gettext_lazy("Lifecycle stage"),
            "choice",
            "lifecycle_stage",
            CHOICE_OPS,
            choice_list=lambda: Customer.Stage.choices,
        ),  # fmt: skip
        LookupField("owner", gettext_lazy("Owner"), "choice", "owner", (*CHOICE_OPS, "is_set"), choice_list=_users),
        LookupField("team", gettext_lazy("Team"), "choice", "team", (*CHOICE_OPS, "is_set"), choice_list=_teams),
        TagField(),
        LookupField(
            "email_consent",
            gettext_lazy("Email consent"),
            "choice",
            "email_consent",
            CHOICE_OPS,
            choice_list=lambda: Customer.Consent.choices,
        ),  # fmt: skip
        LookupField(
            "lifetime_spend",
            gettext_lazy("Lifetime spend"),
            "number",
            "stats__lifetime_spend",
            ("gt", "lt", "eq"),
            missing=Decimal(0),
            missing_lookup="stats",
        ),  # fmt: skip
        LookupField(
            "order_count",
            gettext_lazy("Order count"),
            "number",
            "stats__order_count",
            ("eq", "ne", "gt", "lt"),
            missing=Decimal(0),
            missing_lookup="stats",
        ),  # fmt: skip
        DaysSinceLastOrderField(),
        RfmField("rfm_segment", gettext_lazy("RFM segment"), "choice", CHOICE_OPS, "segment__name"),
        RfmField("rfm_r", gettext_lazy("RFM recency score (R)"), "number", NUMBER_OPS, "r_score"),
        RfmField("rfm_f", gettext_lazy("RFM frequency score (F)"), "number", NUMBER_OPS, "f_score"),
        RfmField("rfm_m", gettext_lazy("RFM monetary score (M)"), "number", NUMBER_OPS, "m_score"),
        ClvField("clv", gettext_lazy("Lifetime value"), "clv"),
        ClvField("p_alive", gettext_lazy("Chance still active (%)"), "p_alive"),
        ClvSlippingField(),
    ]


def _registered_fields() -> list[SegmentField]:
    """settings.CRM_SEGMENT_FIELDS: each path names a SegmentField or a callable returning some."""
    found: list[SegmentField] = []
    for dotted in getattr(settings, "CRM_SEGMENT_FIELDS", []):
        entry = import_string(dotted)
        found.extend([entry] if isinstance(entry, SegmentField) else list(entry()))
    return found


def segment_fields() -> dict[str, SegmentField]:
    """Every field a rule may use, by key, in the editor's order (read per call: custom
    fields and other apps' fields change without a restart)."""
    custom = [CustomFieldRule(custom) for custom in CustomField.objects.filter(is_active=True)]
    every: list[SegmentField] = [*_fixed_fields(), *custom, *_registered_fields()]
    return {f.key: f for f in every}


# --- rules JSON -------------------------------------------------------------------------
def rules_clean(rules: Any, *, fields: dict[str, SegmentField] | None = None) -> dict:
    """Check rules JSON and return it normalised; a ValidationError names each bad rule."""
    fields = segment_fields() if fields is None else fields
    if rules in (None, "", {}):
        return {"match": "all", "rules": [], "groups": []}
    if not isinstance(rules, dict):
        raise ValidationError(_("Rules must be an object with “match”, “rules” and “groups”."))
    errors: list[str] = []
    top = _clean_block(rules, fields, errors, where="")
    groups = []
    for number, group in enumerate(rules.get("groups") or [], start=1):
        if not isinstance(group, dict) or group.get("groups"):
            errors.append(_("Group %(n)s: groups cannot hold groups.") % {"n": number})
            continue
        groups.append(_clean_block(group, fields, errors, where=_("group %(n)s, ") % {"n": number}))
    if errors:
        raise ValidationError(errors)
    return {**top, "groups": groups}


def _clean_block(block: dict, fields: dict[str, SegmentField], errors: list[str], *, where: str) -> dict:
    match = block.get("match", "all")
    if match not in MATCHES:
        errors.append(_("%(where)s“match” must be “all” or “any”.") % {"where": where.capitalize()})
    cleaned = []
    for number, rule in enumerate(block.get("rules") or [], start=1):
        name = _("Rule %(where)s%(n)s") % {"where": where, "n": number}
        message = _rule_error(rule, fields)
        if message:
            errors.append(f"{name}: {message}")
        else:
            cleaned.append({"field": rule["field"], "op": rule["op"], "value": rule.get("value", "")})
    return {"match": match, "rules": cleaned}


def _rule_error(rule: Any, fields: dict[str, SegmentField]) -> str | None:
    if not isinstance(rule, dict):
        return _("not a rule.")
    rule_field = fields.get(str(rule.get("field")))
    if rule_field is None:
        return _("unknown field “%(field)s”.") % {"field": rule.get("field")}
    if rule.get("op") not in rule_field.ops:
        return _("“%(field)s” cannot use the operator “%(op)s”.") % {"field": rule_field.label, "op": rule.get("op")}
    try:
        rule_field.parse(rule["op"], rule.get("value", ""))
    except ValueError as error:
        return _("%(field)s: %(error)s") % {"field": rule_field.label, "error": error}
    return None


def rules_q(rules: dict | None, *, fields: dict[str, SegmentField] | None = None) -> Q:
    """One Q for the whole rules JSON (checked with rules_clean first: raises ValidationError)."""
    rules = rules_clean(rules, fields=fields)
    fields = segment_fields() if fields is None else fields
    blocks = [_block_q(rules, fields)] + [_block_q(group, fields) for group in rules["groups"]]
    parts: list[Q] = [part for part in blocks if part is not None]
    return _combine(parts, rules["match"])


def _block_q(block: dict, fields: dict[str, SegmentField]) -> Q | None:
    parts = [fields[r["field"]].q(r["op"], fields[r["field"]].parse(r["op"], r["value"])) for r in block["rules"]]
    return _combine(parts, block["match"]) if parts else None


def _combine(parts: list[Q], match: str) -> Q:
    if not parts:
        return Q()
    combined = parts[0]
    for part in parts[1:]:
        combined = combined | part if match == "any" else combined & part
    return combined
