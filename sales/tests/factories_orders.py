"""Factories for deal products, order lines and won deals (the shared ones are in factories.py)."""

from decimal import Decimal

import factory
from django.utils import timezone

from sales.models import Deal, DealProduct, OrderLine
from sales.tests.factories import DealFactory, OrderFactory, ProductFactory, stage_named


class DealProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DealProduct

    deal = factory.SubFactory(DealFactory)
    product = factory.SubFactory(ProductFactory)
    quantity = Decimal("1")
    unit_price = Decimal("99.00")


class OrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderLine

    order = factory.SubFactory(OrderFactory)
    description = factory.Faker("word")
    quantity = Decimal("1")
    unit_price = Decimal("100.00")
    total = Decimal("100.00")


def won_deal(**kwargs) -> Deal:
    """A deal in the default pipeline's Won stage (pass owner=...)."""
    return DealFactory(stage=stage_named("Won"), status=Deal.Status.WON, closed_at=timezone.now(), **kwargs)
