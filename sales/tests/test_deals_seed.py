"""Demo deals, products and the Renewals pipeline for seed_demo."""

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.utils import timezone

from customers.models import Interaction
from customers.tests.factories import CustomerFactory
from sales.models import Deal, DealStageChange, Pipeline, Product
from sales.seed.deals import seed_demo

pytestmark = pytest.mark.django_db


def test_seeding_creates_deals_for_a_quarter_of_the_customers(owner, teammate):
    for user in (owner, teammate):
        CustomerFactory.create_batch(100, owner=user)
    out = StringIO()
    seed_demo(customers=200, stdout=out)
    deals = list(Deal.objects.select_related("customer", "stage", "pipeline"))
    assert len(deals) == 50
    assert "50 deals" in out.getvalue()
    assert Product.objects.filter(sku__startswith="DEMO-").count() == 20
    renewals = Pipeline.objects.get(name="Renewals")
    assert renewals.stages.count() == 4 and renewals.stages.filter(is_won=True).count() == 1
    today = timezone.localdate()
    for deal in deals:
        assert (deal.owner_id, deal.team_id) == (deal.customer.owner_id, deal.customer.team_id)
        assert deal.stage.pipeline_id == deal.pipeline_id
        assert deal.status == ("won" if deal.stage.is_won else "lost" if deal.stage.is_lost else "open")
        assert today - timedelta(days=30) <= deal.expected_close_date <= today + timedelta(days=180)
        assert deal.amount == deal.amount.quantize(Decimal("0.01"))
        if not deal.lines.exists():
            assert Decimal("500") <= deal.amount <= Decimal("50000")
    assert any(deal.is_stuck() for deal in deals)
    assert {deal.pipeline.name for deal in deals} == {"Sales", "Renewals"}
    assert DealStageChange.objects.count() == 50
    assert Interaction.objects.filter(action="deal.created").count() == 50


def test_seeding_again_adds_nothing(owner):
    CustomerFactory.create_batch(8, owner=owner)
    seed_demo(customers=8, stdout=StringIO())
    counts = (Deal.objects.count(), Product.objects.count(), Pipeline.objects.count())
    out = StringIO()
    seed_demo(customers=8, stdout=out)
    assert (Deal.objects.count(), Product.objects.count(), Pipeline.objects.count()) == counts
    assert "already exist" in out.getvalue()
