"""Reads for products and orders. Orders are visible exactly when their customer is
(OrderQuerySet scopes through the customer's owner and team); orders of deleted
customers are hidden with them."""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import CharField, Count, F, Max, Min, Prefetch, Q, QuerySet, Sum, Value

from crm_project.access import get_for_user
from customers.models import Customer
from customers.registry import TimelineSource

from ..models import Deal, Order, OrderLine, Product
from .money import MoneyTotal, currency_totals

PANEL_ORDERS = 10


# --- access helpers: the only way views fetch one record --------------------------------------
def order_get_for_user(*, user, pk) -> Order:
    queryset = (
        Order.objects.filter(customer_alive=True)
        .select_related("customer", "customer__company", "deal")
        .prefetch_related(Prefetch("lines", queryset=OrderLine.objects.select_related("product")))
    )
    return get_for_user(queryset, user=user, pk=pk)


def order_for_deal(deal: Deal) -> Order | None:
    """The order a won deal already became, if any."""
    return Order.objects.filter(deal=deal, source=Order.Source.DEAL).first()


# --- lists ------------------------------------------------------------------------------------
def order_list_for_user(*, user) -> QuerySet[Order]:
    """The orders of the customers the user sees, but not of deleted customers. The scope reads
    the orders' own copy of their customer's owner and team, and the deletion its copy too
    (Order.customer_alive): a manager's orders are one index range per branch.

    Scoped through the customers (`customer_id = ANY(visible ids)`), a manager's 3,400 orders
    at a million customers probed the orders' customer index once per visible customer:
    10,300 probes for the count and again for the totals, 55-90 ms."""
    return Order.objects.select_related("customer").visible_to(user).filter(customer_alive=True)


def order_totals(queryset: QuerySet[Order]) -> list[MoneyTotal]:
    """The totals of the (filtered) orders, whatever their status, summed per currency: one query."""
    return currency_totals(queryset, field="total")


def product_list() -> QuerySet[Product]:
    return Product.objects.all()


# --- the customer page's orders panel ---------------------------------------------------------
@dataclass
class CurrencyTotal:
    currency: str
    revenue: Decimal
    paid_orders: int

    @property
    def average(self) -> Decimal:
        return (self.revenue / self.paid_orders).quantize(Decimal("0.01")) if self.paid_orders else Decimal("0.00")


@dataclass
class CustomerOrderTotals:
    """Lifetime figures from paid orders only: refunded and cancelled orders are listed
    but count neither as orders nor as revenue."""

    orders: int = 0  # every order, whatever its status
    paid_orders: int = 0
    first_paid_at: datetime | None = None
    last_paid_at: datetime | None = None
    by_currency: list[CurrencyTotal] = field(default_factory=list)


def customer_orders_recent(*, user, customer: Customer, limit: int = PANEL_ORDERS) -> list[Order]:
    return list(Order.objects.visible_to(user).filter(customer=customer).order_by("-ordered_at", "-pk")[:limit])


def customer_order_totals(*, user, customer: Customer) -> CustomerOrderTotals:
    """One query: the figures per currency (revenue in different currencies is never added up)."""
    paid = Q(status=Order.Status.PAID)
    rows = (
        Order.objects.visible_to(user)
        .filter(customer=customer)
        .values("currency")
        .annotate(
            orders=Count("pk"),
            paid_orders=Count("pk", filter=paid),
            revenue=Sum("total", filter=paid),
            first=Min("ordered_at", filter=paid),
            last=Max("ordered_at", filter=paid),
        )
        .order_by("currency")
    )
    totals = CustomerOrderTotals()
    for row in rows:
        totals.orders += row["orders"]
        if not row["paid_orders"]:
            continue
        totals.paid_orders += row["paid_orders"]
        totals.by_currency.append(CurrencyTotal(row["currency"], row["revenue"], row["paid_orders"]))
        totals.first_paid_at = min(filter(None, [totals.first_paid_at, row["first"]]))
        totals.last_paid_at = max(filter(None, [totals.last_paid_at, row["last"]]))
    totals.by_currency.sort(key=lambda total: -total.revenue)
    return totals


# Orders on the customer's timeline, read from the orders table (imports add no timeline rows).
ORDER_TIMELINE_SOURCE = TimelineSource(
    name="order",
    rows=lambda customer: Order.objects.filter(customer=customer).values(
        origin=Value("order", output_field=CharField()), key=F("pk"), at=F("ordered_at")
    ),
    load=lambda pks: Order.objects.in_bulk(pks),
    template="sales/partials/order_timeline_entry.html",
)
