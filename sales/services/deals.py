"""Writes for deals: create, update, move between stages (won and lost included)."""

from decimal import Decimal
from typing import cast

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from simple_history.utils import bulk_create_with_history

from accounts.models import User
from accounts.selectors import team_for_owner
from crm_project.events import event_emit
from crm_project.fragments import bump_cache_version
from crm_project.services import apply_changes
from crm_project.versioning import version_claim
from customers.models import Customer
from customers.services import timeline_record

from ..models import Deal, DealStageChange, Pipeline, Stage

DEFAULT_STAGES = [
    # name, win probability %, won, lost (migration 0002 creates the same on install). The names
    # are stored in English and shown through the catalogue (Stage.display_name).
    (gettext_noop("Qualification"), 10, False, False),
    (gettext_noop("Needs analysis"), 25, False, False),
    (gettext_noop("Proposal"), 50, False, False),
    (gettext_noop("Negotiation"), 75, False, False),
    (gettext_noop("Won"), 100, True, False),
    (gettext_noop("Lost"), 0, False, True),
]
DEFAULT_PIPELINE_NAME = gettext_noop("Sales")


def pipeline_default() -> Pipeline:
    """The default pipeline; if every pipeline was deleted, a fresh default one."""
    pipeline = Pipeline.objects.filter(is_default=True).first() or Pipeline.objects.order_by("position", "pk").first()
    return pipeline or pipeline_create_default()


@transaction.atomic
def pipeline_create_default() -> Pipeline:
    pipeline = Pipeline.objects.create(name=DEFAULT_PIPELINE_NAME, is_default=True)
    bulk_create_with_history(
        [
            Stage(pipeline=pipeline, name=name, position=index, probability=probability, is_won=won, is_lost=lost)
            for index, (name, probability, won, lost) in enumerate(DEFAULT_STAGES)
        ],
        Stage,
    )
    bump_cache_version(Stage)  # bulk_create sends no signal: the stage menus (crm_project/fragments.py)
    return pipeline


@transaction.atomic
def deal_create(
    *,
    actor: User | None,
    title: str,
    customer: Customer,
    pipeline: Pipeline | None = None,
    stage: Stage | None = None,
    amount: Decimal = Decimal("0.00"),
    owner: User | None = None,
    **fields,
) -> Deal:
    """Open a deal; it starts in the pipeline's first stage unless told otherwise."""
    pipeline = pipeline or pipeline_default()
    # A pipeline always has stages: pipeline_create and pipeline_update refuse none.
    stage = stage or cast(Stage, pipeline.stages.order_by("position", "pk").first())
    if stage.pipeline_id != pipeline.pk:
        raise ValidationError({"stage": _("This stage belongs to another pipeline.")})
    owner = owner or actor
    deal = Deal(
        title=title,
        customer=customer,
        company=fields.pop("company", None) or customer.company,
        pipeline=pipeline,
        stage=stage,
        status=_status_of(stage),
        amount=amount,
        owner=owner,
        team=team_for_owner(owner),
        **fields,
    )
    if not stage.is_open:
        deal.closed_at = timezone.now()
    deal.full_clean(exclude=["owner", "team"])
    deal.save()
    DealStageChange.objects.create(deal=deal, from_stage=None, to_stage=stage, actor=actor)
    timeline_record(
        action="deal.created",
        actor=actor,
        customer=customer,
        data={"deal": deal.pk, "title": title},
    )
    event_emit("deal.created", instance=deal, actor=actor)
    return deal


@transaction.atomic
def deal_update(*, deal: Deal, actor: User | None, version: int | None = None, **fields) -> Deal:
    """Change a deal's details (not its stage: that is deal_move_stage). With the
    `version` its form was opened at, a stale edit raises StaleEdit and changes nothing."""
    if version is not None:
        version_claim(deal, expected=version)
    if "owner" in fields and fields["owner"] != deal.owner:
        deal.team = team_for_owner(fields["owner"])
    changed = apply_changes(deal, fields)
    deal.full_clean(exclude=["owner", "team"])
    deal.save()
    if changed:
        timeline_record(
            action="deal.updated",
            actor=actor,
            customer=deal.customer,
            data={"deal": deal.pk, "title": deal.title, "fields": changed},
        )
    return deal


@transaction.atomic
def deal_move_stage(*, deal: Deal, stage: Stage, actor: User | None, lost_reason: str = "") -> Deal:
    """Move a deal to another stage of its pipeline, recording the time spent in the old one.

    Moving to a won or lost stage closes the deal; moving back to an open stage reopens it."""
    deal = Deal.objects.select_for_update().select_related("stage").get(pk=deal.pk)
    if stage.pipeline_id != deal.pipeline_id:
        raise ValidationError(_("This stage belongs to another pipeline."))
    if stage.pk == deal.stage_id:
        return deal
    if stage.is_lost and not (lost_reason or deal.lost_reason):
        raise ValidationError({"lost_reason": _("Say why the deal was lost.")})
    now = timezone.now()
    previous = deal.stage
    DealStageChange.objects.create(
        deal=deal,
        from_stage=previous,
        to_stage=stage,
        actor=actor,
        changed_at=now,
        time_in_previous_stage=now - deal.stage_changed_at,
    )
    deal.stage, deal.status, deal.stage_changed_at = stage, _status_of(stage), now
    deal.closed_at = None if stage.is_open else now
    if stage.is_lost:
        deal.lost_reason = lost_reason or deal.lost_reason
    deal.save(update_fields=["stage", "status", "stage_changed_at", "closed_at", "lost_reason", "updated_at"])
    timeline_record(
        action=f"deal.{deal.status}" if not stage.is_open else "deal.stage_changed",
        actor=actor,
        customer=deal.customer,
        data={
            "deal": deal.pk,
            "title": deal.title,
            "from": previous.pk,
            "from_name": previous.name,
            "to": stage.pk,
            "to_name": stage.name,
        },
    )
    context = {"from_stage": previous.pk, "from_stage_name": previous.name}
    event_emit("deal.stage_changed", instance=deal, actor=actor, data=context)
    if not stage.is_open:
        event_emit(f"deal.{deal.status}", instance=deal, actor=actor, data=context)
    return deal


def _status_of(stage: Stage) -> str:
    if stage.is_won:
        return Deal.Status.WON
    if stage.is_lost:
        return Deal.Status.LOST
    return Deal.Status.OPEN
