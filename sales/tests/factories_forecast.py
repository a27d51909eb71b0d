from datetime import date
from decimal import Decimal

import factory

from sales.models import Target


class TargetFactory(factory.django.DjangoModelFactory):
    """Pass user=... or team=...; month is the first day of a month."""

    class Meta:
        model = Target

    month = date(2026, 3, 1)
    amount = Decimal("1000.00")
