"""Writes for leads: create, edit, status, the lead's timeline, assignment rules and conversion.

A lead has no customer until it is converted, so its audit entries live on its
own timeline (LeadActivity); conversion copies that timeline to the customer.
"""

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts import roles
from accounts.history import history_actor
from accounts.models import User
from accounts.selectors import team_for_owner
from crm_project.events import event_emit
from crm_project.helpers import email_domain
from crm_project.services import apply_changes
from crm_project.versioning import version_claim
from customers import timeline
from customers.models import Company, Customer, Interaction
from customers.services import company_create, customer_create, timeline_record

from ..models import AssignmentRule, Deal, Lead, LeadActivity, Pipeline
from .deals import deal_create

LEAD_FIELDS = ("first_name", "last_name", "email", "phone", "company_name", "source", "notes", "owner")
RULE_FIELDS = ("source", "strategy", "team", "user", "position", "is_active")
CONVERTIBLE = (Lead.Status.NEW, Lead.Status.CONTACTED, Lead.Status.QUALIFIED)


def lead_is_convertible(lead: Lead) -> bool:
    return lead.status in CONVERTIBLE


def lead_record(*, lead: Lead, action: str, actor: User | None, data: dict | None = None) -> LeadActivity:
    """One audit entry on the lead's timeline; `data` holds its sentence's parameters (sales.timeline)."""
    summary = timeline.summary(action=action, data=data)
    return LeadActivity.objects.create(
        lead=lead, kind=Interaction.Kind.SYSTEM, action=action, summary=summary[:200], user=actor, data=data or {}
    )


# --- create, edit, status ------------------------------------------------------------------
@transaction.atomic
def lead_create(*, actor: User | None, owner: User | None = None, **fields) -> Lead:
    """Create a lead; without an owner, the assignment rules choose one (else the actor)."""
    # Without an owner the lead may still name a team (e.g. a capture form's).
    team = fields.pop("team", None)
    if owner is not None:
        team = team_for_owner(owner)
    lead = Lead(owner=owner, team=team, **fields)
    lead.full_clean(exclude=["owner", "team", "customer", "deal"])
    lead.save()
    lead_record(lead=lead, action="lead.created", actor=actor)
    if owner is None:
        lead_assign(lead=lead, actor=actor)
    # After the assignment rules: the event carries the lead's owner.
    event_emit("lead.created", instance=lead, actor=actor)
    return lead


@transaction.atomic
def lead_update(*, lead: Lead, actor: User | None, version: int | None = None, **fields) -> Lead:
    """Change a lead's details (not its status: that is lead_set_status). With the
    `version` its form was opened at, a stale edit raises StaleEdit and changes nothing."""
    if version is not None:
        version_claim(lead, expected=version)
    previous_owner = lead.owner
    changed = apply_changes(lead, fields)
    if "owner" in changed:
        lead.team = team_for_owner(lead.owner)
    lead.full_clean(exclude=["owner", "team", "customer", "deal"])
    lead.save()
    details = [name for name in changed if name != "owner"]
    if details:
        lead_record(
            lead=lead,
            action="lead.updated",
            actor=actor,
            data={"fields": details},
        )
    if "owner" in changed:
        _record_owner_change(lead, previous_owner, actor)
    return lead


@transaction.atomic
def lead_set_status(*, lead: Lead, status: str, actor: User | None, reason: str = "") -> Lead:
    """Move a lead between new, contacted, qualified and unqualified (which needs a reason)."""
    if lead.status == Lead.Status.CONVERTED:
        raise ValidationError(_("This lead was already converted; its status cannot change."))
    if status == Lead.Status.CONVERTED or status not in Lead.Status.values:
        raise ValidationError({"status": _("Choose new, contacted, qualified or unqualified.")})
    reason = reason.strip()
    if status == Lead.Status.UNQUALIFIED and not reason:
        raise ValidationError({"reason": _("Say why the lead is unqualified.")})
    previous = lead.status
    lead.status = status
    lead.unqualified_reason = reason if status == Lead.Status.UNQUALIFIED else ""
    lead.save(update_fields=["status", "unqualified_reason", "updated_at"])
    lead_record(
        lead=lead,
        action="lead.status_changed",
        actor=actor,
        data={"from": previous, "to": status, "reason": lead.unqualified_reason},
    )
    return lead


@transaction.atomic
def lead_log_activity(
    *, lead: Lead, kind: str, summary: str, actor: User, body: str = "", occurred_at=None
) -> LeadActivity:
    """A call, email, meeting or note on the lead's timeline."""
    if kind not in Interaction.LOGGABLE_KINDS:
        raise ValidationError({"kind": _("Choose call, email, meeting or note.")})
    return LeadActivity.objects.create(
        lead=lead, kind=kind, summary=summary, body=body, user=actor, occurred_at=occurred_at or timezone.now()
    )


# --- assignment -----------------------------------------------------------------------------
@transaction.atomic
def lead_assign(*, lead: Lead, actor: User | None) -> Lead:
    """Give the lead an owner by the first matching assignment rule; no match: the actor."""
    owner, rule = _owner_by_rules(lead.source)
    owner = owner or actor
    if owner is None or owner == lead.owner:
        return lead
    previous = lead.owner
    lead.owner, lead.team = owner, team_for_owner(owner)
    lead.save(update_fields=["owner", "team", "updated_at"])
    data = {
        "from": previous.pk if previous else None,
        "to": owner.pk,
        "to_name": str(owner),
        "rule": rule.pk if rule else None,
        "rule_name": _english(rule),
    }
    lead_record(lead=lead, action="lead.assigned", actor=actor, data=data)
    return lead


def _owner_by_rules(source: str) -> tuple[User | None, AssignmentRule | None]:
    """Try the active rules for this source (or any source) by position; the first that names a user wins.

    A rule that cannot name anyone (an inactive user, a team without active
    reps or managers) is passed over, so the next rule gets its chance."""
    rules = (
        AssignmentRule.objects.filter(Q(source=source) | Q(source=""), is_active=True)
        .select_related("user")
        .order_by("position", "pk")
    )
    for rule in rules:
        if rule.strategy == AssignmentRule.Strategy.USER:
            owner = rule.user if rule.user is not None and rule.user.is_active else None
        else:
            owner = _next_in_round(rule.pk)
        if owner is not None:
            return owner, rule
    return None, None


def _next_in_round(rule_id: int) -> User | None:
    """The team member after the previous one (by pk, wrapping around); moves the cursor.

    The rule row is locked, so two leads created at the same moment queue
    here and never both go to the same person."""
    rule = AssignmentRule.objects.select_for_update().get(pk=rule_id)
    if rule.team_id is None:
        return None
    members = list(round_robin_members(rule.team_id))
    if not members:
        return None
    after = rule.last_assigned_id or 0
    chosen = next((member for member in members if member.pk > after), members[0])
    rule.last_assigned = chosen
    # The cursor is not configuration: no history row per lead.
    rule.save_without_historical_record(update_fields=["last_assigned"])  # type: ignore[attr-defined]  # added by simple-history at runtime
    return chosen


def round_robin_members(team_id: int) -> QuerySet[User]:
    """Who takes turns in a team: its active members who are sales reps or managers."""
    return (
        User.objects.filter(teams=team_id, is_active=True, groups__name__in=[roles.SALES_REP, roles.MANAGER])
        .distinct()
        .order_by("pk")
    )


@transaction.atomic
def leads_reassign(*, leads: QuerySet[Lead], owner: User, actor: User | None) -> int:
    """Give many leads one owner (set-based); each gets an audit entry."""
    rows = list(leads.exclude(owner=owner).values_list("pk", "owner_id"))
    ids = [pk for pk, _owner in rows]
    Lead.objects.filter(pk__in=ids).update(owner=owner, team=team_for_owner(owner), updated_at=timezone.now())
    data = {"to": owner.pk, "to_name": str(owner)}
    summary = timeline.summary(action="lead.reassigned", data=data)
    LeadActivity.objects.bulk_create(
        [
            LeadActivity(
                lead_id=pk,
                kind=Interaction.Kind.SYSTEM,
                action="lead.reassigned",
                summary=summary,
                user=actor,
                data={"from": previous, **data},
            )
            for pk, previous in rows
        ],
        batch_size=1000,
    )
    return len(ids)


def leads_assign_by_rules(*, leads: QuerySet[Lead], actor: User | None) -> int:
    """Apply the assignment rules to the leads that have no owner; returns how many got one.

    One transaction per lead: each takes its turn on the rule's cursor."""
    assigned = 0
    for lead in leads.filter(owner__isnull=True).order_by("created_at", "pk"):
        if lead_assign(lead=lead, actor=actor).owner_id is not None:
            assigned += 1
    return assigned


def _record_owner_change(lead: Lead, previous: User | None, actor: User | None) -> None:
    lead_record(
        lead=lead,
        action="lead.reassigned",
        actor=actor,
        data={
            "from": previous.pk if previous else None,
            "from_name": str(previous) if previous else None,
            "to": lead.owner_id,
            "to_name": str(lead.owner) if lead.owner else None,
        },
    )


# --- assignment rules -----------------------------------------------------------------------
def _clean_rule(rule: AssignmentRule) -> None:
    if rule.strategy == AssignmentRule.Strategy.ROUND_ROBIN and rule.team_id is None:
        raise ValidationError({"team": _("Round-robin needs a team.")})
    if rule.strategy == AssignmentRule.Strategy.USER and rule.user_id is None:
        raise ValidationError({"user": _("Choose the user who gets the leads.")})
    if rule.strategy == AssignmentRule.Strategy.USER:
        rule.team = None
    else:
        rule.user = None


@transaction.atomic
def assignment_rule_create(*, actor: User | None, **fields) -> AssignmentRule:
    rule = AssignmentRule(**fields)
    _clean_rule(rule)
    rule.full_clean()
    with history_actor(actor):
        rule.save()
    return rule


@transaction.atomic
def assignment_rule_update(*, rule: AssignmentRule, actor: User | None, **fields) -> AssignmentRule:
    for name, value in fields.items():
        setattr(rule, name, value)
    if "team" in fields:
        rule.last_assigned = None if rule.team_id is None else rule.last_assigned
    _clean_rule(rule)
    rule.full_clean()
    with history_actor(actor):
        rule.save()
    return rule


@transaction.atomic
def assignment_rule_delete(*, rule: AssignmentRule, actor: User | None) -> None:
    with history_actor(actor):
        rule.delete()


# --- conversion -----------------------------------------------------------------------------
NEW_COMPANY = "new"


@transaction.atomic
def lead_convert(
    *,
    lead: Lead,
    actor: User | None,
    company: Company | str | None = None,
    existing_customer: Customer | None = None,
    create_deal: bool = False,
    pipeline: Pipeline | None = None,
    deal_title: str = "",
    deal_amount: Decimal = Decimal("0.00"),
    expected_close_date: date | None = None,
) -> tuple[Customer, Deal | None]:
    """Turn a lead into a customer (or attach it to an existing one), optionally with a deal.

    `company` is an existing Company, "new" (create one named after the lead's
    company) or None. The lead's timeline is copied to the customer's, and the
    lead keeps links to the customer and deal it became."""
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if lead.status == Lead.Status.CONVERTED:
        raise ValidationError(_("This lead was already converted."))
    if not lead_is_convertible(lead):
        raise ValidationError(_("An unqualified lead cannot be converted; change its status first."))
    owner = lead.owner or actor
    if company == NEW_COMPANY:
        company = _company_for(lead, actor=actor, owner=owner)
    customer = existing_customer or customer_create(
        actor=actor,
        first_name=lead.first_name,
        last_name=lead.last_name,
        email=lead.email,
        phone=lead.phone,
        company=company,
        source=lead.source,
        lifecycle_stage=Customer.Stage.OPPORTUNITY if create_deal else Customer.Stage.QUALIFIED,
        notes=lead.notes,
        owner=owner,
    )
    deal = None
    if create_deal:
        deal = deal_create(
            actor=actor,
            title=deal_title.strip() or default_deal_title(lead),
            customer=customer,
            pipeline=pipeline,
            amount=deal_amount or Decimal("0.00"),
            owner=owner,
            company=company or customer.company,
            expected_close_date=expected_close_date,
        )
    _copy_history(lead, customer)
    lead.status, lead.converted_at, lead.customer, lead.deal = Lead.Status.CONVERTED, timezone.now(), customer, deal
    lead.save(update_fields=["status", "converted_at", "customer", "deal", "updated_at"])
    data = {"lead": lead.pk, "customer": customer.pk, "deal": deal.pk if deal else None}
    # Each side names the other: the sentence is chosen by which name is there (sales.timeline).
    lead_record(lead=lead, action="lead.converted", actor=actor, data={**data, "customer_name": str(customer)})
    timeline_record(action="lead.converted", actor=actor, customer=customer, data={**data, "lead_name": lead.full_name})
    context = {"customer": customer.pk, "customer_created": existing_customer is None, "deal": data["deal"]}
    event_emit("lead.converted", instance=lead, actor=actor, data=context)
    return customer, deal


def default_deal_title(lead: Lead) -> str:
    return _("%(name)s deal") % {"name": lead.company_name or lead.full_name}


def _company_for(lead: Lead, *, actor: User | None, owner: User | None) -> Company | None:
    if not lead.company_name.strip():
        return None
    return company_create(actor=actor, name=lead.company_name.strip(), domain=email_domain(lead.email), owner=owner)


def _copy_history(lead: Lead, customer: Customer) -> None:
    """Every entry of the lead's timeline, as it was, on the customer's timeline."""
    Interaction.objects.bulk_create(
        [
            Interaction(
                customer=customer,
                company_id=customer.company_id,
                kind=activity.kind,
                occurred_at=activity.occurred_at,
                user_id=activity.user_id,
                summary=activity.summary,
                body=activity.body,
                action=activity.action,
                data={**activity.data, "lead": lead.pk},
            )
            for activity in lead.activities.order_by("occurred_at", "pk")
        ],
        batch_size=1000,
    )


def _english(rule: AssignmentRule | None) -> str | None:
    # A rule's name is made of translatable parts; store it in one language, not the actor's.
    if rule is None:
        return None
    with translation.override("en"):
        return str(rule)
