"""Factories for leads' timelines and assignment rules (LeadFactory is in factories.py)."""

import factory

from sales.models import AssignmentRule, LeadActivity
from sales.tests.factories import LeadFactory


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
