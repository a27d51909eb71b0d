"""Writes for pipelines and their stages (managers and admins edit them).

Pipelines have no customer, so their changes have no timeline entry; they are
logged, and recorded with the actor in their history (admin History page).
A stage's won/lost flags decide its deals' status, so changing the flags
updates those deals in the same transaction."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_update_with_history

from accounts.history import history_actor
from accounts.models import User
from crm_project.services import apply_changes

from ..models import Deal, Pipeline, Stage


@dataclass(frozen=True)
class StageData:
    """One row of the stage editor. `stage_id` is None for a new stage."""

    name: str
    probability: int
    position: int
    is_won: bool = False
    is_lost: bool = False
    stage_id: int | None = None
    delete: bool = False


@transaction.atomic
def pipeline_create(
    *,
    actor: User | None,
    name: str,
    stages: list[StageData],
    stuck_after_days: int = 14,
    is_default: bool = False,
) -> Pipeline:
    last = Pipeline.objects.order_by("-position").values_list("position", flat=True).first()
    pipeline = Pipeline(name=name, stuck_after_days=stuck_after_days, is_default=is_default, position=(last or 0) + 1)
    pipeline.full_clean()
    with history_actor(actor):
        pipeline.save()
        _stages_save(pipeline=pipeline, stages=stages)
        if is_default:
            _others_not_default(pipeline, actor)
    return pipeline


@transaction.atomic
def pipeline_update(
    *,
    pipeline: Pipeline,
    actor: User | None,
    stages: list[StageData],
    **fields,
) -> Pipeline:
    """Change the pipeline's fields (name, stuck_after_days, is_default, position) and its stages."""
    for name, value in fields.items():
        setattr(pipeline, name, value)
    if not pipeline.is_default and not Pipeline.objects.exclude(pk=pipeline.pk).filter(is_default=True).exists():
        # There is always a default pipeline (new deals go there).
        pipeline.is_default = True
    pipeline.full_clean()
    with history_actor(actor):
        pipeline.save()
        _stages_save(pipeline=pipeline, stages=stages)
        if pipeline.is_default:
            _others_not_default(pipeline, actor)
    return pipeline


def _others_not_default(pipeline: Pipeline, actor: User | None) -> None:
    """Only one default pipeline; the others lose the flag, with a history row each."""
    others = list(Pipeline.objects.exclude(pk=pipeline.pk).filter(is_default=True))
    for other in others:
        other.is_default = False
    bulk_update_with_history(others, Pipeline, ["is_default"], default_user=actor)


def _stages_save(*, pipeline: Pipeline, stages: list[StageData]) -> None:
    kept = [row for row in stages if not row.delete]
    if not kept:
        raise ValidationError(_("A pipeline needs at least one stage."))
    if all(row.is_won or row.is_lost for row in kept):
        raise ValidationError(_("A pipeline needs at least one open stage (neither won nor lost)."))
    names = [row.name.strip().casefold() for row in kept]
    if len(set(names)) != len(names):
        raise ValidationError(_("Two stages of a pipeline cannot have the same name."))
    existing: dict[int | None, Stage] = {stage.pk: stage for stage in pipeline.stages.all()}  # get(None): a new stage
    for row in stages:
        if row.stage_id is not None and row.stage_id not in existing:
            raise ValidationError(_("This stage belongs to another pipeline."))
    for row in stages:
        if row.delete and row.stage_id is not None:
            _stage_delete(existing[row.stage_id])
    for row in kept:
        _stage_save(pipeline, row, existing.get(row.stage_id))


def _stage_delete(stage: Stage) -> None:
    if Deal.objects.filter(stage=stage).exists():
        raise ValidationError(
            _("The stage “%(name)s” still has deals; move them to another stage first.") % {"name": stage.name}
        )
    stage.delete()


def _stage_save(pipeline: Pipeline, row: StageData, stage: Stage | None) -> None:
    stage = stage or Stage(pipeline=pipeline)
    values = {"name": row.name.strip(), "probability": row.probability, "position": row.position}
    changed = apply_changes(stage, {**values, "is_won": row.is_won, "is_lost": row.is_lost})
    is_new = stage.pk is None
    if not is_new and not changed:
        return  # the editor posts every stage; an unchanged one costs no write
    stage.full_clean()
    stage.save()
    if not is_new and {"is_won", "is_lost"} & set(changed):
        _deals_follow_stage_flags(stage)


def _deals_follow_stage_flags(stage: Stage) -> None:
    """Keep Deal.status equal to the stage's flags (set-based)."""
    deals = Deal.objects.filter(stage=stage)
    if stage.is_open:
        deals.update(status=Deal.Status.OPEN, closed_at=None)
        return
    status = Deal.Status.WON if stage.is_won else Deal.Status.LOST
    deals.filter(closed_at__isnull=True).update(closed_at=timezone.now())
    deals.filter(~Q(status=status)).update(status=status)
