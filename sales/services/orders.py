"""Writes for products and orders: the catalogue, and the order a won deal becomes.

Imports of shop or ERP history live in order_import.py."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.history import history_actor
from accounts.models import User
from crm_project.events import event_emit
from customers.services import timeline_record

from ..models import Deal, Order, OrderLine, Product
from .stats import customer_stats_refresh


# --- products --------------------------------------------------------------------------------
@transaction.atomic
def product_create(*, actor: User | None, name: str, sku: str, price: Decimal, **fields) -> Product:
    product = Product(name=name, sku=sku, price=price, **fields)
    product.full_clean()
    with history_actor(actor):
        product.save()
    return product


@transaction.atomic
def product_update(*, product: Product, actor: User | None, **fields) -> Product:
    for name, value in fields.items():
        setattr(product, name, value)
    product.full_clean()
    with history_actor(actor):
        product.save()
    return product


# --- orders --------------------------------------------------------------------------------
def deal_order_ref(deal: Deal) -> str:
    """The order reference of a deal's order: one order per deal."""
    return f"DEAL-{deal.pk}"


@transaction.atomic
def order_create_from_deal(*, deal: Deal, actor: User | None) -> Order:
    """Turn a won deal into a paid order: one line per deal product (or one line for the
    deal's amount when it has none), in the deal's currency.

    Idempotent: the order's reference is "DEAL-<deal id>", so a second call (a double
    click, two users) returns the existing order instead of creating another."""
    deal = Deal.objects.select_for_update(of=("self",)).select_related("customer", "customer__company").get(pk=deal.pk)
    if deal.status != Deal.Status.WON:
        raise ValidationError(_("Only a won deal can become an order."))
    existing = Order.objects.filter(customer=deal.customer, order_ref=deal_order_ref(deal)).first()
    if existing is not None:
        return existing
    lines = _lines_for(deal)
    try:
        with transaction.atomic():
            order = Order.objects.create(
                customer=deal.customer, order_ref=deal_order_ref(deal), ordered_at=deal.closed_at or timezone.now(),
                status=Order.Status.PAID, currency=deal.currency, total=sum((line.total for line in lines), Decimal(0)),
                deal=deal, source=Order.Source.DEAL,
            )  # fmt: skip
    except IntegrityError:  # created meanwhile by a concurrent request
        return Order.objects.get(customer=deal.customer, order_ref=deal_order_ref(deal))
    for line in lines:
        line.order = order
    OrderLine.objects.bulk_create(lines)
    customer_stats_refresh(customer_ids=[deal.customer_id])
    timeline_record(
        action="order.created",
        actor=actor,
        customer=deal.customer,
        data={
            "order": order.pk,
            "deal": deal.pk,
            "ref": order.order_ref,
            "title": deal.title,
            "total": str(order.total),
            "currency": order.currency,
        },
    )
    event_emit("order.created", instance=order, actor=actor, data={"deal": deal.pk})
    return order


def _lines_for(deal: Deal) -> list[OrderLine]:
    products = list(deal.lines.select_related("product").order_by("pk"))
    if not products:
        return [OrderLine(description=deal.title[:200], quantity=Decimal(1), unit_price=deal.amount, total=deal.amount)]
    return [
        OrderLine(
            product=line.product,
            description=line.product.name[:200],
            quantity=line.quantity,
            unit_price=line.unit_price,
            total=line.total,
        )  # fmt: skip
        for line in products
    ]
