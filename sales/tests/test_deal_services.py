from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from customers.models import Interaction
from customers.tests.factories import CustomerFactory
from sales.models import Deal, DealStageChange
from sales.services.deals import deal_create, deal_move_stage
from sales.tests.factories import DealFactory, PipelineFactory, StageFactory, stage_named


def test_a_new_deal_starts_in_the_first_stage_of_the_default_pipeline(owner, team):
    customer = CustomerFactory(owner=owner)
    deal = deal_create(actor=owner, title="Renewal", customer=customer, amount=Decimal("1200.50"))
    assert (deal.stage.name, deal.status, deal.owner, deal.team) == ("Qualification", "open", owner, team)
    assert deal.stage_changes.get().to_stage == deal.stage
    assert Interaction.objects.filter(customer=customer, action="deal.created", data__deal=deal.pk).exists()


def test_moving_a_deal_records_the_time_spent_in_the_previous_stage(owner):
    deal = DealFactory(owner=owner, stage_changed_at=timezone.now() - timedelta(days=3))
    deal_move_stage(deal=deal, stage=stage_named("Proposal"), actor=owner)
    change = DealStageChange.objects.filter(deal=deal, from_stage__isnull=False).get()
    assert change.to_stage.name == "Proposal"
    assert timedelta(days=3) <= change.time_in_previous_stage < timedelta(days=3, minutes=1)
    deal.refresh_from_db()
    assert deal.days_in_stage() == 0


def test_winning_closes_the_deal_and_reopening_clears_the_close(owner):
    deal = DealFactory(owner=owner)
    deal = deal_move_stage(deal=deal, stage=stage_named("Won"), actor=owner)
    assert deal.status == Deal.Status.WON and deal.closed_at is not None
    assert Interaction.objects.filter(action="deal.won", data__deal=deal.pk).exists()
    deal = deal_move_stage(deal=deal, stage=stage_named("Negotiation"), actor=owner)
    assert deal.status == Deal.Status.OPEN and deal.closed_at is None


def test_losing_a_deal_needs_a_reason(owner):
    deal = DealFactory(owner=owner)
    with pytest.raises(ValidationError):
        deal_move_stage(deal=deal, stage=stage_named("Lost"), actor=owner)
    deal = deal_move_stage(deal=deal, stage=stage_named("Lost"), actor=owner, lost_reason="Too expensive")
    assert (deal.status, deal.lost_reason) == ("lost", "Too expensive")


def test_a_deal_cannot_move_to_another_pipelines_stage(owner):
    deal = DealFactory(owner=owner)
    foreign = StageFactory(pipeline=PipelineFactory())
    with pytest.raises(ValidationError):
        deal_move_stage(deal=deal, stage=foreign, actor=owner)


def test_weighted_amount_uses_the_stage_probability(owner):
    deal = DealFactory(owner=owner, amount=Decimal("1000.00"), stage=stage_named("Proposal"))
    assert deal.weighted_amount == Decimal("500.00")


def test_a_deal_is_stuck_after_the_pipelines_threshold(owner):
    deal = DealFactory(owner=owner, stage_changed_at=timezone.now() - timedelta(days=15))
    assert deal.is_stuck()
    deal.pipeline.stuck_after_days = 30
    assert not deal.is_stuck()


def test_the_default_pipeline_exists_after_migrating(db):
    from sales.tests.factories import default_pipeline

    names = list(default_pipeline().stages.values_list("name", flat=True))
    assert names == ["Qualification", "Needs analysis", "Proposal", "Negotiation", "Won", "Lost"]
