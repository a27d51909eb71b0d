"""order_create and order_update: orders written from outside (the API's shop sync)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from customers.models import Interaction
from customers.tests.factories import CustomerFactory
from sales.models import CustomerStats, Order, OrderLine
from sales.services.orders import OrderLineData, order_create, order_update
from sales.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def line(quantity="1", unit_price="10.00", description="Item", **kwargs) -> OrderLineData:
    return OrderLineData(quantity=Decimal(quantity), unit_price=Decimal(unit_price), description=description, **kwargs)


def test_an_order_totals_its_lines_updates_the_figures_and_is_on_the_timeline(owner):
    customer = CustomerFactory(owner=owner)
    product = ProductFactory(name="Widget")

    order = order_create(
        actor=owner, customer=customer, ordered_at=timezone.now(), order_ref="SHOP-1",
        lines=[line("2", "10.00", description="", product=product), line("1", "5.50", description="Shipping")],
    )  # fmt: skip

    assert order.total == Decimal("25.50") and order.source == Order.Source.MANUAL
    assert list(order.lines.values_list("description", "total")) == [
        ("Widget", Decimal("20.00")),
        ("Shipping", Decimal("5.50")),
    ]
    assert CustomerStats.objects.get(customer=customer).lifetime_spend == Decimal("25.50")
    entry = Interaction.objects.get(customer=customer, action="order.created")
    assert entry.summary == "Order SHOP-1 recorded: 25.50 EUR"


def test_a_reference_the_customer_already_has_is_refused(owner):
    customer = CustomerFactory(owner=owner)
    order_create(actor=owner, customer=customer, ordered_at=timezone.now(), order_ref="R1", lines=[line()])

    with pytest.raises(ValidationError) as refused:
        order_create(actor=owner, customer=customer, ordered_at=timezone.now(), order_ref="R1", lines=[line()])

    assert "order_ref" in refused.value.message_dict
    assert Order.objects.count() == 1


@pytest.mark.parametrize(
    ("lines", "status"),
    [([], "paid"), ([line(description="")], "paid"), ([line("1", "-5.00", description="Credit")], "paid")],
)
def test_an_order_without_lines_a_described_line_or_a_positive_total_is_refused(owner, lines, status):
    customer = CustomerFactory(owner=owner)

    with pytest.raises(ValidationError) as refused:
        order_create(actor=owner, customer=customer, ordered_at=timezone.now(), lines=lines, status=status)

    assert "lines" in refused.value.message_dict
    assert not Order.objects.exists() and not OrderLine.objects.exists()


def test_updating_replaces_the_lines_and_the_figures_follow(owner):
    customer = CustomerFactory(owner=owner)
    order = order_create(
        actor=owner, customer=customer, ordered_at=timezone.now(), lines=[line("1", "10.00", description="A")]
    )
    later = timezone.now() + timedelta(days=1)

    order = order_update(
        order=order, actor=owner, ordered_at=later, status=Order.Status.REFUNDED,
        lines=[line("3", "10.00", description="B")],
    )  # fmt: skip

    assert (order.total, order.status) == (Decimal("30.00"), Order.Status.REFUNDED)
    assert list(order.lines.values_list("description", flat=True)) == ["B"]
    assert not CustomerStats.objects.filter(customer=customer).exists()  # no paid order left
    entry = Interaction.objects.get(customer=customer, action="order.updated")
    assert set(entry.data["fields"]) == {"ordered_at", "status", "lines"}


def test_an_update_that_changes_nothing_leaves_no_entry(owner):
    customer = CustomerFactory(owner=owner)
    order = order_create(actor=owner, customer=customer, ordered_at=timezone.now(), lines=[line(description="A")])

    order_update(order=order, actor=owner, status=Order.Status.PAID, lines=[line(description="A")])

    assert not Interaction.objects.filter(action="order.updated").exists()
