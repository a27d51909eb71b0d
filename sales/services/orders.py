"""Writes for products and orders: the catalogue, and the order a won deal becomes.

Imports of shop or ERP history live in order_import.py."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.history import history_actor
from accounts.models import User
from crm_project.events import event_emit
from crm_project.services import apply_changes
from customers.models import Customer
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


# --- orders from outside (the API: a shop or an ERP) ------------------------------------------
CENT = Decimal("0.01")
ORDER_FIELDS = ("ordered_at", "status", "currency")


@dataclass(frozen=True)
class OrderLineData:
    """One line of an order to write; without a description it takes the product's name."""

    quantity: Decimal
    unit_price: Decimal
    description: str = ""
    product: Product | None = None


@transaction.atomic
def order_create(
    *,
    actor: User | None,
    customer: Customer,
    ordered_at: datetime,
    lines: list[OrderLineData],
    order_ref: str = "",
    status: str = Order.Status.PAID,
    currency: str = "",
    source: str = Order.Source.MANUAL,
) -> Order:
    """Record an order with its lines; its total is the lines' sum. A reference the
    customer already has is refused (updating by reference is order_update)."""
    order = Order(customer=customer, order_ref=order_ref.strip(), ordered_at=ordered_at, status=status, source=source)
    if currency:
        order.currency = currency
    if order.order_ref and Order.objects.filter(customer=customer, order_ref=order.order_ref).exists():
        raise ValidationError({"order_ref": _("This customer already has an order with this reference.")})
    built = _built_lines(order, lines)
    order.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            order.save()
    except IntegrityError as error:  # the same reference created meanwhile by a concurrent request
        raise ValidationError({"order_ref": _("This customer already has an order with this reference.")}) from error
    for line in built:
        line.order = order
    OrderLine.objects.bulk_create(built)
    customer_stats_refresh(customer_ids=[customer.pk])
    timeline_record(action="order.created", actor=actor, customer=customer, data=_entry_data(order))
    event_emit("order.created", instance=order, actor=actor)
    return order


@transaction.atomic
def order_update(*, order: Order, actor: User | None, lines: list[OrderLineData] | None = None, **fields) -> Order:
    """Change an order's date, status or currency and, when `lines` is given, replace its
    lines (the total follows them). Its customer and reference never change."""
    unknown = set(fields) - set(ORDER_FIELDS)
    if unknown:
        raise TypeError(f"order_update() cannot change {', '.join(sorted(unknown))}")
    order = Order.objects.select_for_update().get(pk=order.pk)
    changed = apply_changes(order, {name: value for name, value in fields.items() if value})
    built = None
    if lines is not None:
        previous_total = order.total
        built = _built_lines(order, lines)
        if order.total != previous_total or _lines_differ(order, built):
            changed.append("lines")
    if not changed:
        return order
    if order.total < 0 and order.status != Order.Status.REFUNDED:
        raise ValidationError({"status": _("A negative total is only allowed when the status is refunded.")})
    order.full_clean(validate_constraints=False)
    order.save()
    if built is not None:
        order.lines.all().delete()
        for line in built:
            line.order = order
        OrderLine.objects.bulk_create(built)
    customer_stats_refresh(customer_ids=[order.customer_id])
    timeline_record(
        action="order.updated", actor=actor, customer=order.customer, data={**_entry_data(order), "fields": changed}
    )
    return order


def _built_lines(order: Order, lines: list[OrderLineData]) -> list[OrderLine]:
    """The lines as unsaved rows; sets the order's total to their sum (checked against its status)."""
    if not lines:
        raise ValidationError({"lines": _("An order needs at least one line.")})
    built = [
        OrderLine(
            product=line.product,
            description=(line.description.strip() or (line.product.name if line.product else ""))[:200],
            quantity=line.quantity,
            unit_price=line.unit_price,
            total=(line.quantity * line.unit_price).quantize(CENT),
        )
        for line in lines
    ]
    if any(not line.description for line in built):
        raise ValidationError({"lines": _("Each line needs a description or a product.")})
    order.total = sum((line.total for line in built), Decimal("0.00"))
    if order.total < 0 and order.status != Order.Status.REFUNDED:
        raise ValidationError({"lines": _("A negative total is only allowed when the status is refunded.")})
    return built


def _lines_differ(order: Order, built: list[OrderLine]) -> bool:
    def key(line: OrderLine) -> tuple:
        return (line.product_id, line.description, line.quantity, line.unit_price)

    return [key(line) for line in order.lines.order_by("pk")] != [key(line) for line in built]


def _entry_data(order: Order) -> dict:
    return {"order": order.pk, "ref": str(order), "total": str(order.total), "currency": order.currency}
