"""Small helpers shared by the analytics tests."""

from datetime import datetime
from decimal import Decimal

from sales.models import Order
from sales.tests.factories import OrderFactory


def order(customer, when: datetime, total: str = "10.00", **fields) -> Order:
    return OrderFactory.create(customer=customer, ordered_at=when, total=Decimal(total), **fields)
