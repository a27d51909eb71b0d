"""Customer lifetime value: fit BG/NBD and Gamma-Gamma, score every customer, store the run.

One run: read the purchase summary (analytics.selectors.clv_summary), fit BG/NBD over
every customer and Gamma-Gamma over the repeat customers (analytics.btyd, on the distinct
rows weighted by their counts), predict per customer, write the ClvScore rows set-based
(binary COPY on PostgreSQL, bulk_create in batches elsewhere) and the run's figures.
A fit that does not converge raises btyd.FitError and stores nothing.
"""

import math
import resource
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from numpy.typing import NDArray

from accounts.models import User

from .. import btyd
from ..db import copy_rows_binary, crm_today
from ..models import ClvRun, ClvScore
from ..selectors.clv import P_ALIVE_PHRASES
from ..selectors.clv_summary import PurchaseSummary, clv_purchase_summary

Progress = Callable[[int, int], None]
STEPS = 5  # summary, BG/NBD, Gamma-Gamma, scores, prune

HISTOGRAM_BUCKETS = 10
# The summary's p_alive bands, keyed for the report (bounds as in selectors.clv.P_ALIVE_PHRASES).
P_ALIVE_BAND_KEYS = {0.8: "very_likely", 0.5: "probably_active", 0.2: "may_have_lapsed", 0.0: "probably_lapsed"}
# Calibration frequencies shown one by one in the holdout check; higher ones are one group.
HOLDOUT_FREQUENCIES = 7
BULK_BATCH = 2000


@dataclass(frozen=True)
class Predictions:
    """Per customer, aligned with the summary: money in whole cents."""

    p_alive: NDArray[np.float64]
    expected_purchases: NDArray[np.float64]
    expected_value_cents: NDArray[np.int64]
    clv_cents: NDArray[np.int64]
    monetary_cents: NDArray[np.int64]


def clv_fit_run(
    *,
    calibration_end: date | None = None,
    holdout_end: date | None = None,
    unit: str = ClvRun.Unit.WEEKS,
    horizon: float | None = None,
    penalizer: float = 0.0,
    trigger: str = ClvRun.Trigger.COMMAND,
    actor: User | None = None,
    progress: Progress | None = None,
    customer_ids: tuple[int, int] | None = None,
) -> ClvRun:
    """Fit, score every customer with a purchase by the calibration end, store the run; prune old scores.
    `customer_ids` (first, last) limits the run to a range of customers: for benchmarks only."""
    progress = progress or (lambda done, total: None)
    calibration_end = calibration_end or crm_today()
    if unit not in ClvRun.Unit.values:
        raise ValueError(f"unit must be one of {ClvRun.Unit.values}, not {unit!r}")
    if holdout_end is not None and holdout_end <= calibration_end:
        raise ValueError("The holdout end must come after the calibration end.")
    if horizon is None:
        horizon = settings.CLV_HORIZON_MONTHS * btyd.DAYS_PER_MONTH / btyd.UNIT_DAYS[unit]
    started_at, started = timezone.now(), time.monotonic()
    timings: dict[str, float] = {}

    with _timed(timings, "summary_s"):
        history = clv_purchase_summary(
            calibration_end=calibration_end, holdout_end=holdout_end, unit=unit, customer_ids=customer_ids
        )
    progress(1, STEPS)
    with _timed(timings, "bgnbd_s"):
        bgnbd = _fit_bgnbd(history, penalizer=penalizer)
    progress(2, STEPS)
    with _timed(timings, "gamma_gamma_s"):
        spend = _fit_gamma_gamma(history, penalizer=penalizer)
    progress(3, STEPS)
    with _timed(timings, "predict_s"):
        window = (calibration_end, holdout_end)
        predictions, holdout_predicted = _predict(history, bgnbd.params, spend.params, unit, horizon, window)
    with transaction.atomic():
        run = ClvRun.objects.create(
            calibration_end=calibration_end,
            holdout_end=holdout_end,
            unit=unit,
            horizon=horizon,
            discount_rate=settings.CLV_DISCOUNT_RATE,
            penalizer=penalizer,
            started_at=started_at,
            trigger=trigger,
            triggered_by=actor,
        )
        with _timed(timings, "write_s"):
            _write_scores(run, history, predictions)
        timings["scores_s"] = round(timings["predict_s"] + timings["write_s"], 3)
        timings["peak_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)  # KiB on Linux
        _finish(run, history, predictions, bgnbd=bgnbd, spend=spend, timings=timings, started=started)
        if holdout_end is not None:
            run.holdout = _holdout_check(history, holdout_predicted, days=(holdout_end - calibration_end).days)
            run.save(update_fields=["holdout"])
    progress(4, STEPS)
    clv_prune_runs()
    progress(5, STEPS)
    return run


@contextmanager
def _timed(timings: dict, key: str) -> Iterator[None]:
    started = time.perf_counter()
    yield
    timings[key] = round(time.perf_counter() - started, 3)


# --- the fits ------------------------------------------------------------------------------
def _fit_bgnbd(history: PurchaseSummary, *, penalizer: float) -> btyd.Fit[btyd.BgNbdParams]:
    (x, t_x, age), counts, _inverse = btyd.compress(history.frequency, history.recency, history.T)
    return btyd.fit_bgnbd(x, t_x, age, weights=counts, penalizer=penalizer)


def _fit_gamma_gamma(history: PurchaseSummary, *, penalizer: float) -> btyd.Fit[btyd.GammaGammaParams]:
    repeat = history.frequency > 0
    (x, m), counts, _inverse = btyd.compress(history.frequency[repeat], history.monetary_value[repeat])
    fit = btyd.fit_gamma_gamma(x, m, weights=counts, penalizer=penalizer)
    if fit.params.q <= 1:
        # The population's mean spend p·v/(q−1) is then infinite: no value to predict with.
        raise btyd.FitError(f"The Gamma-Gamma fit gave q = {fit.params.q:.3g} ≤ 1: spend has no finite mean.")
    return fit


# --- the predictions -----------------------------------------------------------------------
def _predict(
    history: PurchaseSummary,
    bgnbd: btyd.BgNbdParams,
    spend: btyd.GammaGammaParams,
    unit: str,
    horizon: float,
    window: tuple[date, date | None],
) -> tuple[Predictions, NDArray[np.float64] | None]:
    """Every customer's predictions. The BG/NBD ones depend on (x, t_x, T) only, so they are
    computed once per distinct row; CLV is linear in the expected value, so it is the discounted
    expected purchases (computed with a value of 1) times each customer's expected value."""
    (x, t_x, age), _counts, inverse = btyd.compress(history.frequency, history.recency, history.T)
    months = max(1, round(horizon * btyd.UNIT_DAYS[unit] / btyd.DAYS_PER_MONTH))
    per_unit_value = btyd.customer_lifetime_value(
        bgnbd, x, t_x, age, np.ones_like(x), months=months, unit=unit, discount_rate=settings.CLV_DISCOUNT_RATE
    )
    expected_value = btyd.gamma_gamma_expected_value(spend, history.frequency, history.monetary_value)
    columns = {
        "p_alive": btyd.bgnbd_p_alive(bgnbd, x, t_x, age)[inverse],
        "expected purchases": btyd.bgnbd_expected_purchases(bgnbd, horizon, x, t_x, age)[inverse],
        "expected value": expected_value,
        "CLV": per_unit_value[inverse] * expected_value,
    }
    holdout = None
    calibration_end, holdout_end = window
    if holdout_end is not None:
        length = (holdout_end - calibration_end).days / btyd.UNIT_DAYS[unit]
        columns["holdout"] = holdout = btyd.bgnbd_expected_purchases(bgnbd, length, x, t_x, age)[inverse]
    for name, values in columns.items():
        if not np.all(np.isfinite(values)):
            raise btyd.FitError(f"The fitted models give {name} that are not finite numbers for some customers.")
    return Predictions(
        p_alive=np.clip(columns["p_alive"], 0.0, 1.0),
        expected_purchases=np.maximum(columns["expected purchases"], 0.0),
        expected_value_cents=_cents(expected_value),
        clv_cents=_cents(columns["CLV"]),
        monetary_cents=_cents(history.monetary_value),
    ), holdout


def _cents(values: NDArray[np.float64]) -> NDArray[np.int64]:
    return np.rint(np.maximum(values, 0.0) * 100).astype(np.int64)


def _money(cents: int | np.integer) -> str:
    return str(Decimal(int(cents)).scaleb(-2))


# --- writing -------------------------------------------------------------------------------
def _write_scores(run: ClvRun, history: PurchaseSummary, predictions: Predictions) -> None:
    if connection.vendor == "postgresql":
        _copy_scores(run, history, predictions)
        with connection.cursor() as cursor:
            # As for RFM scores: the planner should know the new run's rows before anyone joins them.
            cursor.execute(f"ANALYZE {connection.ops.quote_name(ClvScore._meta.db_table)}")
        return
    for start in range(0, len(history.customer_id), BULK_BATCH):
        ClvScore.objects.bulk_create(_score_objects(run, history, predictions, slice(start, start + BULK_BATCH)))


def _copy_scores(run: ClvRun, history: PurchaseSummary, predictions: Predictions) -> None:
    column = {field.name: str(field.column) for field in ClvScore._meta.concrete_fields}
    copy_rows_binary(
        ClvScore._meta.db_table,
        [
            (column["run"], "int8", np.full(len(history.customer_id), run.pk, dtype=np.int64)),
            (column["customer"], "int8", history.customer_id),
            (column["frequency"], "int4", history.frequency),
            (column["recency"], "float8", history.recency),
            (column["T"], "float8", history.T),
            (column["monetary_value"], "cents", predictions.monetary_cents),
            (column["p_alive"], "float8", predictions.p_alive),
            (column["expected_purchases"], "float8", predictions.expected_purchases),
            (column["expected_average_value"], "cents", predictions.expected_value_cents),
            (column["clv"], "cents", predictions.clv_cents),
        ],
    )


def _score_objects(run: ClvRun, history: PurchaseSummary, predictions: Predictions, rows: slice) -> list[ClvScore]:
    columns = zip(
        history.customer_id[rows].tolist(),
        history.frequency[rows].tolist(),
        history.recency[rows].tolist(),
        history.T[rows].tolist(),
        predictions.monetary_cents[rows].tolist(),
        predictions.p_alive[rows].tolist(),
        predictions.expected_purchases[rows].tolist(),
        predictions.expected_value_cents[rows].tolist(),
        predictions.clv_cents[rows].tolist(),
        strict=True,
    )
    return [
        ClvScore(
            run_id=run.pk,
            customer_id=customer,
            frequency=int(frequency),
            recency=recency,
            T=age,
            monetary_value=Decimal(monetary).scaleb(-2),
            p_alive=p_alive,
            expected_purchases=expected,
            expected_average_value=Decimal(value).scaleb(-2),
            clv=Decimal(clv).scaleb(-2),
        )
        for customer, frequency, recency, age, monetary, p_alive, expected, value, clv in columns
    ]


# --- the run's figures ---------------------------------------------------------------------
def _finish(run: ClvRun, history: PurchaseSummary, predictions: Predictions, *, bgnbd, spend, timings, started):
    run.bgnbd_params = bgnbd.params.as_dict()
    run.gamma_gamma_params = spend.params.as_dict()
    run.log_likelihood = bgnbd.log_likelihood
    run.n_customers = len(history.customer_id)
    run.n_repeat = int(np.count_nonzero(history.frequency > 0))
    run.summary = _run_summary(history, predictions)
    run.summary["gamma_gamma_log_likelihood"] = spend.log_likelihood
    run.timings = timings
    run.finished_at = timezone.now()
    run.duration_ms = round((time.monotonic() - started) * 1000)
    run.save()


def _run_summary(history: PurchaseSummary, predictions: Predictions) -> dict:
    """Totals for the report page, so it never scans the scores (see CLV_PLAN's contract)."""
    repeat = history.frequency > 0
    past_value = history.frequency[repeat] * predictions.monetary_cents[repeat]
    return {
        "expected_revenue": _money(predictions.clv_cents.sum()),
        "expected_purchases": float(predictions.expected_purchases.sum()),
        "customers": len(history.customer_id),
        "high_value_from": _money(round(float(np.percentile(past_value, 75)))) if past_value.size else "0.00",
        "clv_histogram": _clv_histogram(predictions.clv_cents),
        "p_alive_bands": _p_alive_bands(predictions.p_alive),
    }


def _clv_histogram(clv_cents: NDArray[np.int64]) -> list[dict]:
    """About ten buckets of equal, round width up to the 99th percentile; the last takes the rest."""
    if not clv_cents.size:
        return []
    step = _round_step(float(np.percentile(clv_cents, 99)) / HISTOGRAM_BUCKETS)
    top = int(clv_cents.max())
    buckets = int(min(HISTOGRAM_BUCKETS, max(1, math.ceil(top / step))))
    edges = [step * i for i in range(buckets)] + [max(step * buckets, top)]
    counts, _edges = np.histogram(clv_cents, bins=edges)
    return [
        {"from": _money(edges[i]), "to": _money(edges[i + 1]), "customers": int(count)}
        for i, count in enumerate(counts)
    ]


def _round_step(cents: float) -> int:
    """The smallest 1, 2, 2.5 or 5 × 10^k cents at or above `cents` (at least one cent)."""
    if cents <= 1:
        return 1
    power = 10 ** math.floor(math.log10(cents))
    return round(next(power * factor for factor in (1, 2, 2.5, 5, 10) if power * factor >= cents))


def _p_alive_bands(p_alive: NDArray[np.float64]) -> list[dict]:
    bands, below = [], None
    for bound, _phrase in P_ALIVE_PHRASES:
        inside = p_alive >= bound if below is None else (p_alive >= bound) & (p_alive < below)
        bands.append({"from": bound, "phrase_key": P_ALIVE_BAND_KEYS[bound], "customers": int(inside.sum())})
        below = bound
    return bands


def _holdout_check(history: PurchaseSummary, predicted: NDArray[np.float64] | None, *, days: int) -> dict:
    """Predicted against actual repeat purchase days in the holdout, in total and by calibration frequency."""
    assert predicted is not None  # noqa: S101 - computed whenever the run has a holdout end
    actual = history.holdout_purchases
    groups = np.minimum(history.frequency, HOLDOUT_FREQUENCIES).astype(np.int64)
    by_frequency = []
    for group in range(HOLDOUT_FREQUENCIES + 1):
        members = groups == group
        customers = int(members.sum())
        by_frequency.append(
            {
                "frequency": group if group < HOLDOUT_FREQUENCIES else f"{HOLDOUT_FREQUENCIES}+",
                "customers": customers,
                "predicted": float(predicted[members].mean()) if customers else 0.0,
                "actual": float(actual[members].mean()) if customers else 0.0,
            }
        )
    return {
        "days": days,
        "predicted": float(predicted.sum()),
        "actual": int(actual.sum()),
        "mae": float(np.abs(predicted - actual).mean()) if actual.size else 0.0,
        "by_frequency": by_frequency,
    }


# --- pruning -------------------------------------------------------------------------------
def clv_prune_runs(*, keep: int | None = None) -> int:
    """Drop the score rows of all but the latest `keep` runs (their parameters and summaries stay)."""
    keep = settings.CLV_KEEP_RUNS if keep is None else keep
    old = list(ClvRun.objects.filter(scores_kept=True).order_by("-pk").values_list("pk", flat=True)[keep:])
    for run_id in old:
        with transaction.atomic():
            ClvScore.objects.filter(run_id=run_id).delete()
            ClvRun.objects.filter(pk=run_id).update(scores_kept=False)
    return len(old)
