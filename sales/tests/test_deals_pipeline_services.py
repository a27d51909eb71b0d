"""Services for pipelines and stages, and for a deal's product lines."""

from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from customers.models import Interaction
from sales.models import Deal, DealProduct, Pipeline, Stage
from sales.services.deal_lines import deal_line_add, deal_line_remove
from sales.services.pipelines import StageData, pipeline_create, pipeline_update
from sales.tests.factories import DealFactory, ProductFactory, default_pipeline, stage_named

pytestmark = pytest.mark.django_db


def rows_of(pipeline: Pipeline, **changes) -> list[StageData]:
    """The pipeline's stages as editor rows, with some changed: changes={"Proposal": {"probability": 60}}."""
    rows = []
    for stage in pipeline.stages.order_by("position"):
        values: dict[str, Any] = {
            "name": stage.name,
            "probability": stage.probability,
            "position": stage.position,
            "is_won": stage.is_won,
            "is_lost": stage.is_lost,
            "stage_id": stage.pk,
        }
        values.update(changes.get(stage.name, {}))
        rows.append(StageData(**values))
    return rows


def test_a_manager_creates_a_pipeline_with_its_stages(manager):
    pipeline = pipeline_create(
        actor=manager,
        name="Partners",
        stages=[
            StageData(name="Talk", probability=20, position=0),
            StageData(name="Signed", probability=100, position=1, is_won=True),
            StageData(name="Gone", probability=0, position=2, is_lost=True),
        ],
        stuck_after_days=21,
    )
    assert list(pipeline.stages.values_list("name", "is_won", "is_lost")) == [
        ("Talk", False, False),
        ("Signed", True, False),
        ("Gone", False, True),
    ]
    assert pipeline.stuck_after_days == 21 and not pipeline.is_default


def test_a_pipeline_needs_an_open_stage(manager):
    with pytest.raises(ValidationError):
        pipeline_create(
            actor=manager, name="Closed only", stages=[StageData(name="Won", probability=100, position=0, is_won=True)]
        )
    assert not Pipeline.objects.filter(name="Closed only").exists()


def test_stage_names_are_unique_within_a_pipeline(manager):
    with pytest.raises(ValidationError):
        pipeline_create(
            actor=manager,
            name="Twice",
            stages=[
                StageData(name="Call", probability=10, position=0),
                StageData(name="call", probability=20, position=1),
            ],
        )


def test_making_a_pipeline_the_default_unsets_the_previous_default(manager):
    previous = default_pipeline()
    new = pipeline_create(
        actor=manager, name="New default", stages=[StageData(name="Open", probability=10, position=0)], is_default=True
    )
    previous.refresh_from_db()
    assert new.is_default and not previous.is_default


def test_the_only_default_pipeline_stays_default(manager):
    pipeline = default_pipeline()
    pipeline_update(pipeline=pipeline, actor=manager, stages=rows_of(pipeline), is_default=False)
    pipeline.refresh_from_db()
    assert pipeline.is_default


def test_editing_stages_renames_reorders_adds_and_deletes(manager):
    pipeline = default_pipeline()
    rows = rows_of(pipeline, Proposal={"name": "Offer", "probability": 60, "position": 9})
    rows = [row if row.name != "Negotiation" else replace(row, delete=True) for row in rows]
    rows.append(StageData(name="Contract", probability=90, position=3))
    pipeline_update(pipeline=pipeline, actor=manager, stages=rows, stuck_after_days=7)
    names = list(pipeline.stages.order_by("position", "pk").values_list("name", flat=True))
    assert names == ["Qualification", "Needs analysis", "Contract", "Won", "Lost", "Offer"]
    assert Stage.objects.get(pipeline=pipeline, name="Offer").probability == 60
    pipeline.refresh_from_db()
    assert pipeline.stuck_after_days == 7


def test_a_stage_with_deals_cannot_be_deleted(manager, owner):
    pipeline = default_pipeline()
    DealFactory(owner=owner, stage=stage_named("Proposal"))
    rows = [replace(row, delete=row.name == "Proposal") for row in rows_of(pipeline)]
    with pytest.raises(ValidationError, match="still has deals"):
        pipeline_update(pipeline=pipeline, actor=manager, stages=rows)
    assert Stage.objects.filter(pipeline=pipeline, name="Proposal").exists()


def test_another_pipelines_stage_cannot_be_edited_through_this_one(manager):
    other = pipeline_create(actor=manager, name="Other", stages=[StageData(name="A", probability=10, position=0)])
    pipeline = default_pipeline()
    rows = [*rows_of(pipeline), StageData(name="Hijack", probability=1, position=9, stage_id=other.stages.get().pk)]
    with pytest.raises(ValidationError):
        pipeline_update(pipeline=pipeline, actor=manager, stages=rows)
    assert other.stages.get().name == "A"


def test_turning_a_stage_into_a_won_stage_closes_its_deals(manager, owner):
    pipeline = default_pipeline()
    deal = DealFactory(owner=owner, stage=stage_named("Negotiation"))
    pipeline_update(pipeline=pipeline, actor=manager, stages=rows_of(pipeline, Negotiation={"is_won": True}))
    deal.refresh_from_db()
    assert deal.status == Deal.Status.WON and deal.closed_at is not None
    pipeline_update(pipeline=pipeline, actor=manager, stages=rows_of(pipeline, Negotiation={"is_won": False}))
    deal.refresh_from_db()
    assert deal.status == Deal.Status.OPEN and deal.closed_at is None


# --- product lines -------------------------------------------------------------------------
def test_adding_products_makes_the_amount_their_total(owner):
    deal = DealFactory(owner=owner, amount=Decimal("5000.00"))
    licence = ProductFactory(name="Licence", price=Decimal("99.90"))
    deal_line_add(deal=deal, product=licence, quantity=Decimal("3"), actor=owner)
    deal_line_add(deal=deal, product=ProductFactory(), quantity=Decimal("1"), unit_price=Decimal("0.15"), actor=owner)
    deal.refresh_from_db()
    assert deal.amount == Decimal("299.85")
    assert (
        Interaction.objects.filter(customer=deal.customer, action="deal.product_added", data__deal=deal.pk).count() == 2
    )


def test_removing_a_line_recalculates_the_amount(owner):
    deal = DealFactory(owner=owner)
    first = deal_line_add(deal=deal, product=ProductFactory(price=Decimal("10.00")), quantity=Decimal("2"), actor=owner)
    deal_line_add(deal=deal, product=ProductFactory(price=Decimal("5.50")), quantity=Decimal("1"), actor=owner)
    deal_line_remove(line=first, actor=owner)
    deal.refresh_from_db()
    assert deal.amount == Decimal("5.50")
    assert not DealProduct.objects.filter(pk=first.pk).exists()
    assert Interaction.objects.filter(action="deal.product_removed", data__deal=deal.pk).exists()


def test_a_product_in_another_currency_needs_a_unit_price(owner):
    deal = DealFactory(owner=owner, currency="EUR")
    dollars = ProductFactory(currency="USD", price=Decimal("100.00"))
    with pytest.raises(ValidationError):
        deal_line_add(deal=deal, product=dollars, quantity=Decimal("1"), actor=owner)
    line = deal_line_add(deal=deal, product=dollars, quantity=Decimal("1"), unit_price=Decimal("92.00"), actor=owner)
    assert line.unit_price == Decimal("92.00")


def test_a_quantity_must_be_positive(owner):
    deal = DealFactory(owner=owner)
    with pytest.raises(ValidationError):
        deal_line_add(deal=deal, product=ProductFactory(), quantity=Decimal("0"), actor=owner)
