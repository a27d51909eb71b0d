from decimal import Decimal

import pytest

from customers.tests.factories import CustomerFactory
from sales.models import CustomerStats, Order
from sales.services.stats import customer_stats_refresh
from sales.tests.factories import OrderFactory

pytestmark = pytest.mark.django_db


def test_stats_count_paid_orders_only_and_sum_their_totals():
    customer = CustomerFactory()
    OrderFactory(customer=customer, total=Decimal("10.00"))
    OrderFactory(customer=customer, total=Decimal("5.50"))
    OrderFactory(customer=customer, total=Decimal("99.00"), status=Order.Status.CANCELLED)
    customer_stats_refresh(customer_ids=[customer.pk])
    stats = CustomerStats.objects.get(customer=customer)
    assert (stats.order_count, stats.lifetime_spend) == (2, Decimal("15.50"))


def test_refreshing_some_customers_leaves_the_others_alone_and_drops_those_without_paid_orders():
    kept, refreshed = CustomerFactory(), CustomerFactory()
    OrderFactory(customer=kept, total=Decimal("1.00"))
    order = OrderFactory(customer=refreshed, total=Decimal("2.00"))
    customer_stats_refresh()
    order.status = Order.Status.REFUNDED
    order.save()
    customer_stats_refresh(customer_ids=[refreshed.pk])
    assert list(CustomerStats.objects.values_list("customer_id", flat=True)) == [kept.pk]


# --- the order write paths keep the figures up to date ----------------------------------------
def test_the_order_of_a_won_deal_updates_its_customers_figures(owner):
    from sales.services.orders import order_create_from_deal
    from sales.tests.factories import won_deal

    deal = won_deal(owner=owner, currency="EUR")
    order = order_create_from_deal(deal=deal, actor=owner)
    stats = CustomerStats.objects.get(customer=deal.customer)
    assert (stats.order_count, stats.lifetime_spend, stats.last_order_at) == (1, order.total, order.ordered_at)


def test_an_order_import_updates_the_imported_customers_figures():
    import io

    from sales.services.order_import import orders_import

    customer = CustomerFactory(external_ref="C-9")
    csv = "customer_ref,ordered_at,total\nC-9,2024-03-01,12.50\nC-9,2024-04-01,7.50\n"
    orders_import(source=io.BytesIO(csv.encode()), filename="orders.csv", actor=None)
    stats = CustomerStats.objects.get(customer=customer)
    assert (stats.order_count, stats.lifetime_spend) == (2, Decimal("20.00"))
