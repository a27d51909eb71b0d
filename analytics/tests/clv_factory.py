"""A finished CLV run with its scores, as the engine would store it (CLV_PLAN.md's contract),
without running a fit: the pages, panels, filters and segment fields read only these rows."""

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from analytics.models import ClvRun, ClvScore

PARAMS = {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.4}  # buys every 16 weeks; 25 % stop after a purchase
GAMMA_GAMMA = {"p": 6.0, "q": 4.0, "v": 15.0}  # a typical order: 6 × 15 / 3 = 30.00

HOLDOUT = {
    "days": 182,
    "predicted": 41.5,
    "actual": 39,
    "mae": 0.21,
    "by_frequency": [
        {"frequency": 0, "customers": 60, "predicted": 0.21, "actual": 0.18},
        {"frequency": 1, "customers": 25, "predicted": 0.62, "actual": 0.7},
        {"frequency": 2, "customers": 10, "predicted": 1.1, "actual": 0.9},
        {"frequency": "7+", "customers": 5, "predicted": 3.4, "actual": 3.6},
    ],
}


def clv_score(run: ClvRun, customer, *, clv="100.00", p_alive=0.9, frequency=2, **fields) -> ClvScore:
    values = {
        "recency": 20.0,
        "T": 40.0,
        "monetary_value": Decimal("50.00"),
        "expected_purchases": 1.5,
        "expected_average_value": Decimal("48.00"),
        **fields,
    }
    return ClvScore.objects.create(
        run=run, customer=customer, clv=Decimal(clv), p_alive=p_alive, frequency=frequency, **values
    )


def clv_run(
    *,
    scores: dict | None = None,
    calibration_end: date | None = None,
    holdout: dict | None = None,
    scores_kept: bool = True,
    high_value_from: str = "50.00",
    **fields,
) -> ClvRun:
    """A finished run; `scores` maps customers to ClvScore fields ({customer: {"clv": "120.00"}})."""
    scores = scores or {}
    calibration_end = calibration_end or timezone.localdate() - timedelta(days=1)
    total = sum((Decimal(values.get("clv", "100.00")) for values in scores.values()), Decimal(0))
    run = ClvRun.objects.create(
        calibration_end=calibration_end,
        holdout_end=calibration_end + timedelta(days=182) if holdout else None,
        unit=ClvRun.Unit.WEEKS,
        horizon=52.0,
        discount_rate=0.01,
        finished_at=timezone.now(),
        duration_ms=1234,
        bgnbd_params=PARAMS,
        gamma_gamma_params=GAMMA_GAMMA,
        log_likelihood=-1234.56,
        n_customers=max(len(scores), 100),
        n_repeat=40,
        holdout=holdout or {},
        scores_kept=scores_kept,
        summary={
            "expected_revenue": f"{total:.2f}",
            "expected_purchases": 12.5,
            "customers": len(scores),
            "high_value_from": high_value_from,
            "clv_histogram": [
                {"from": "0.00", "to": "50.00", "customers": 70},
                {"from": "50.00", "to": "100.00", "customers": 20},
                {"from": "100.00", "to": "150.00", "customers": 10},
            ],
            "p_alive_bands": [
                {"from": 0.8, "phrase_key": "very_likely", "customers": 50},
                {"from": 0.5, "phrase_key": "probably", "customers": 30},
                {"from": 0.2, "phrase_key": "may_have_lapsed", "customers": 15},
                {"from": 0.0, "phrase_key": "probably_lapsed", "customers": 5},
            ],
        },
        **fields,
    )
    for customer, values in scores.items():
        clv_score(run, customer, **values)
    return run
