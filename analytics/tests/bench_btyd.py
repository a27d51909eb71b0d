"""Time analytics.btyd alone on simulated customers (no database): the model's share of a CLV run.

    .venv/bin/python -m analytics.tests.bench_btyd --customers 1000000 --unit days --repeat 3

Customers are simulated from the BG/NBD and Gamma-Gamma stories with the CDNOW parameters, first
purchases spread over three years, times in whole days (as the summary gives them), so compress()
sees realistic duplicates. Each step is timed `--repeat` times; the best wall and CPU time are
printed with the load average, since the machine is shared. `manage.py bench_clv` times the whole
run (summary, fit, writes) on PostgreSQL.
"""

import argparse
import os
import time
from collections.abc import Callable
from typing import TypeVar

import numpy as np

from analytics import btyd
from analytics.tests.test_btyd import CDNOW, CDNOW_SPEND, simulate_bgnbd, simulate_spend

R = TypeVar("R")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--unit", choices=sorted(btyd.UNIT_DAYS), default="weeks")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()

    rng = np.random.default_rng(2005)
    n, per_unit = args.customers, btyd.UNIT_DAYS[args.unit]
    age_days = np.floor(rng.uniform(0, 3 * 365, size=n))
    x, t_weeks = simulate_bgnbd(CDNOW, age_days / 7, rng)
    recency_days = np.ceil(t_weeks * 7)  # a repeat purchase is on a later day than the first
    T, t_x = age_days / per_unit, recency_days / per_unit  # noqa: N806
    m = np.zeros(n)
    m[x > 0] = np.round(simulate_spend(CDNOW_SPEND, x[x > 0], rng), 2)
    print(f"{n} customers ({int((x > 0).sum())} repeat), unit {args.unit}, load {os.getloadavg()[0]:.2f}")

    def step(label: str, work: Callable[[], R]) -> R:
        walls, cpus = [], []
        for _ in range(args.repeat):
            wall, cpu = time.perf_counter(), time.process_time()
            result = work()
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
        print(f"  {label:32s} wall {min(walls):6.2f} s   cpu {min(cpus):6.2f} s")
        totals[0] += min(walls)
        totals[1] += min(cpus)
        return result

    totals = [0.0, 0.0]
    (cx, ct, cT), counts, _ = step("compress(x, t_x, T)", lambda: btyd.compress(x, t_x, T))
    bgnbd = step(f"fit_bgnbd ({cx.size} distinct rows)", lambda: btyd.fit_bgnbd(cx, ct, cT, weights=counts))
    spend = step("fit_gamma_gamma", lambda: btyd.fit_gamma_gamma(x, m))
    step("bgnbd_p_alive", lambda: btyd.bgnbd_p_alive(bgnbd.params, x, t_x, T))
    horizon = 12 * btyd.DAYS_PER_MONTH / per_unit
    step("bgnbd_expected_purchases (12 mo)", lambda: btyd.bgnbd_expected_purchases(bgnbd.params, horizon, x, t_x, T))
    value = step("gamma_gamma_expected_value", lambda: btyd.gamma_gamma_expected_value(spend.params, x, m))
    step(
        "customer_lifetime_value (12 mo)",
        lambda: btyd.customer_lifetime_value(
            bgnbd.params, x, t_x, T, value, months=12, unit=args.unit, discount_rate=0.01
        ),
    )
    print(f"  {'total':32s} wall {totals[0]:6.2f} s   cpu {totals[1]:6.2f} s   load {os.getloadavg()[0]:.2f}")
    print(f"  {bgnbd.params} in {bgnbd.iterations} iterations")
    print(f"  {spend.params} in {spend.iterations} iterations")


if __name__ == "__main__":
    main()
