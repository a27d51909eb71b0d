"""Purchase histories drawn from the BG/NBD and Gamma-Gamma stories, written set-based, for the CLV tests."""

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import numpy as np
from scipy.optimize import OptimizeResult

from customers.models import Customer
from sales.models import Order

CALIBRATION_END = date(2026, 3, 10)


def simulated_customers(
    count: int = 300, *, seed: int = 7, first_days: int = 240, end: date = CALIBRATION_END, holdout_days: int = 0
) -> list[Customer]:
    """`count` customers, each with a first purchase in the `first_days` days up to `end`, then
    repeat purchases at a Gamma-distributed rate until they drop out (probability p after each
    repeat purchase, p Beta-distributed), up to `end` + `holdout_days`; values Gamma-distributed."""
    rng = np.random.default_rng(seed)
    customers = Customer.objects.bulk_create(
        Customer(last_name=f"Buyer {n}", external_ref=f"CLV-{n:05d}" if n % 2 else "") for n in range(count)
    )
    stop = datetime.combine(end + timedelta(days=holdout_days + 1), time.min, tzinfo=UTC)
    orders = []
    for customer in customers:
        rate = rng.gamma(0.9, 1 / 12.0)  # purchases per day
        drop_out = rng.beta(1.2, 4.0)
        basket = rng.gamma(6.0, 15.0)
        moment = first = stop - timedelta(days=int(holdout_days) + 1 + float(rng.uniform(0, first_days)))
        while moment < stop:
            orders.append(_order(customer, moment, basket * rng.gamma(4.0, 0.25)))
            if moment != first and rng.random() < drop_out:
                break  # only a repeat purchase can be the last one (BG/NBD)
            moment += timedelta(days=float(rng.exponential(1 / rate)))
    Order.objects.bulk_create(orders, batch_size=2000)
    return customers


def _order(customer: Customer, when: datetime, value: float) -> Order:
    return Order(
        customer=customer,
        ordered_at=when,
        status=Order.Status.PAID,
        total=Decimal(round(value * 100)).scaleb(-2),
        source=Order.Source.IMPORT,
    )


def stuck_optimiser(objective, start, **options) -> OptimizeResult:
    """scipy's minimize as if it ran out of iterations (a fit that does not converge)."""
    return OptimizeResult(
        success=False,
        status=1,
        message="Maximum number of iterations has been exceeded.",
        x=np.asarray(start, dtype=float),
        fun=1.0,
        nit=1000,
        jac=np.ones(len(start)),
    )
