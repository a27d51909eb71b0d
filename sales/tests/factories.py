from datetime import date
from decimal import Decimal

import factory
from django.utils import timezone

from accounts.selectors import team_for_owner
from customers.tests.factories import CustomerFactory
from sales.models import (
    AssignmentRule,
    Deal,
    DealProduct,
    Lead,
    LeadActivity,
    Order,
    OrderLine,
    Pipeline,
    Product,
    Stage,
    Target,
    Task,
)
from sales.services.deals import pipeline_default


def default_pipeline():
    # Not Pipeline.objects.get(): transactional (browser) tests flush the migration's rows.
    return pipeline_default()


def stage_named(name: str, pipeline=None) -> Stage:
    return (pipeline or default_pipeline()).stages.get(name=name)


class PipelineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Pipeline

    name = factory.Sequence(lambda n: f"Pipeline {n}")


class StageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Stage

    pipeline = factory.SubFactory(PipelineFactory)
    name = factory.Sequence(lambda n: f"Stage {n}")
    position = factory.Sequence(int)
    probability = 50


class DealFactory(factory.django.DjangoModelFactory):
    """Pass owner=...; the customer is the owner's, the stage the default pipeline's first."""

    class Meta:
        model = Deal

    owner = None
    team = factory.LazyAttribute(lambda d: team_for_owner(d.owner))
    title = factory.Faker("catch_phrase")
    customer = factory.SubFactory(CustomerFactory, owner=factory.SelfAttribute("..owner"))
    pipeline = factory.LazyFunction(default_pipeline)
    stage = factory.LazyAttribute(lambda d: d.pipeline.stages.order_by("position").first())
    amount = Decimal("1000.00")
    expected_close_date = factory.LazyFunction(lambda: timezone.localdate())


class LeadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lead

    owner = None
    team = factory.LazyAttribute(lambda lead: team_for_owner(lead.owner))
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"lead{n}@example.com")
    company_name = factory.Faker("company")


class TaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Task

    owner = None
    team = factory.LazyAttribute(lambda task: team_for_owner(task.owner))
    title = factory.Faker("sentence", nb_words=4)
    due_at = factory.LazyFunction(timezone.now)


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    name = factory.Faker("word")
    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    price = Decimal("99.00")


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    customer = factory.SubFactory(CustomerFactory)
    ordered_at = factory.LazyFunction(timezone.now)
    total = Decimal("100.00")


class TargetFactory(factory.django.DjangoModelFactory):
    """Pass user=... or team=...; month is the first day of a month."""

    class Meta:
        model = Target

    month = date(2026, 3, 1)
    amount = Decimal("1000.00")


class LeadActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LeadActivity

    lead = factory.SubFactory(LeadFactory)
    kind = "call"
    summary = factory.Faker("sentence", nb_words=5)


class AssignmentRuleFactory(factory.django.DjangoModelFactory):
    """Round-robin for any source unless told otherwise: pass team=... (or strategy="user", user=...)."""

    class Meta:
        model = AssignmentRule

    strategy = AssignmentRule.Strategy.ROUND_ROBIN
    source = ""
    position = factory.Sequence(int)


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
    return DealFactory.create(stage=stage_named("Won"), status=Deal.Status.WON, closed_at=timezone.now(), **kwargs)
