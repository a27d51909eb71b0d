"""Demo purchase history for seed_demo ("sales.seed.orders.seed_demo"): set-based, idempotent.

About 60% of the customers have bought: 1 to 12 orders each over the last 24 months
(never before the customer was created), mostly paid, a few refunded or cancelled,
totals between 20 and 2,000 with two decimals, about half with a shop order number.
The history follows the buy-till-you-die story the CLV models assume (each buyer's own order
rate and chance of stopping after each order), which also suits RFM scoring: most buyers order
once or twice and a few often; each buyer has their own typical basket; some are active, others
lapsed.
"""

import math
import random
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from customers.models import Customer

from ..models import Order
from ..services.stats import customer_stats_refresh

BUYER_SHARE = 0.6
MAX_ORDERS = 12
HISTORY_DAYS = 730
BATCH = 2000


@transaction.atomic
def seed_demo(*, customers: int, stdout) -> None:
    # Shop history is "imported"; orders other seeds make from won deals do not count.
    if Order.objects.filter(source=Order.Source.IMPORT).exists():
        stdout.write("Orders already exist; not adding demo orders.")
        return
    rng = random.Random(2024)  # noqa: S311 - demo data, not security
    now = timezone.now()
    people = Customer.objects.order_by("pk").values_list("pk", "created_at")
    orders, buyers = [], 0
    for customer_id, created_at in people.iterator(chunk_size=BATCH):
        if rng.random() >= BUYER_SHARE:
            continue
        buyers += 1
        orders += _history(rng, customer_id, since=max(created_at, now - timedelta(days=HISTORY_DAYS)), now=now)
    Order.objects.bulk_create(_with_refs(rng, orders), batch_size=BATCH)
    customer_stats_refresh()
    stdout.write(f"Created {len(orders)} demo orders for {buyers} customers.")


def _history(rng: random.Random, customer_id: int, *, since, now) -> list[Order]:
    """The buy-till-you-die story the CLV models assume: a first order some time after `since`,
    then orders at the buyer's own rate, each repeat order followed by the buyer's own chance of
    stopping for good. Most buyers order once to three times, a few up to 12; some are active, others lapsed."""
    basket = rng.lognormvariate(math.log(150), 0.7)  # this customer's typical order value
    rate = rng.gammavariate(0.9, 1 / 40)  # orders per day, about one in 45 days on average
    stop = rng.betavariate(1.3, 3.0)
    window = max(1, int((now - since).total_seconds()))
    moment = since + timedelta(seconds=rng.randrange(window))
    moments = [moment]
    while len(moments) < MAX_ORDERS:
        moment += timedelta(days=rng.expovariate(rate))
        if moment >= now:
            break
        moments.append(moment)
        if rng.random() < stop:
            break  # no orders after this one
    return [
        Order(
            customer_id=customer_id,
            ordered_at=moment,
            status=rng.choices(Order.Status.values, weights=(92, 5, 3))[0],  # paid, refunded, cancelled
            currency=settings.CRM_CURRENCY,
            total=_amount(basket * rng.uniform(0.5, 1.6)),
            source=Order.Source.IMPORT,
            created_at=now,
        )
        for moment in moments
    ]


def _amount(value: float) -> Decimal:
    cents = round(min(2000.0, max(20.0, value)) * 100)
    return Decimal(cents).scaleb(-2)


def _with_refs(rng: random.Random, orders: list[Order]) -> list[Order]:
    """About half the orders carry the shop's order number, unique across the demo data."""
    for number, order in enumerate(orders, start=100001):
        if rng.random() < 0.5:
            order.order_ref = f"WEB-{number}"
    return orders
