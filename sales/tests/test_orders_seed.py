"""Demo purchase history (sales.seed.orders.seed_demo)."""

import io
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from customers.tests.factories import CustomerFactory
from sales.models import Order
from sales.seed.orders import seed_demo


def test_demo_orders_give_most_customers_a_realistic_history_and_seeding_twice_adds_none(db):
    old = timezone.now() - timedelta(days=900)
    CustomerFactory.create_batch(300, created_at=old)
    seed_demo(customers=300, stdout=io.StringIO())
    orders = list(Order.objects.all())
    per_customer = {}
    for order in orders:
        per_customer[order.customer_id] = per_customer.get(order.customer_id, 0) + 1
    assert 0.5 < len(per_customer) / 300 < 0.7
    assert max(per_customer.values()) <= 12 and min(per_customer.values()) >= 1
    assert all(Decimal("20") <= order.total <= Decimal("2000") for order in orders)
    assert all(order.total.as_tuple().exponent == -2 for order in orders)
    assert all(order.ordered_at >= timezone.now() - timedelta(days=731) for order in orders)
    statuses = {status: sum(1 for o in orders if o.status == status) for status in ("paid", "refunded", "cancelled")}
    assert statuses["paid"] > 0.8 * len(orders) and statuses["refunded"] and statuses["cancelled"]
    assert 0.4 < sum(1 for order in orders if order.order_ref) / len(orders) < 0.6

    out = io.StringIO()
    seed_demo(customers=300, stdout=out)
    assert Order.objects.count() == len(orders) and "already exist" in out.getvalue()


def test_no_order_predates_its_customer(db):
    recent = CustomerFactory.create_batch(50, created_at=timezone.now() - timedelta(days=30))
    seed_demo(customers=50, stdout=io.StringIO())
    assert Order.objects.exists()
    for customer in recent:
        assert not Order.objects.filter(customer=customer, ordered_at__lt=customer.created_at).exists()
