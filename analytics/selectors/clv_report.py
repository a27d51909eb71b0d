"""Reads of the lifetime-value report: a run in plain words, its calibration/holdout check and
CLV distribution (from the run's stored summary), and its two customer lists, top by CLV and
slipping away, limited to the customers the viewer may see; and the same lists as CSV rows.

The figures come from the run's JSON, so the report costs the same few queries at any size;
the lists read 25 rows through the (run, -clv) index.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import CharField, F, QuerySet, Subquery, Value
from django.db.models.functions import Cast, Coalesce, NullIf
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from customers.models import Customer

from ..models import ClvRun, ClvScore
from .clv import clv_previous_run, clv_run_list, clv_slipping_away

TOP_CUSTOMERS = 25
EXPORT_COLUMNS = [
    "customer_ref",
    "name",
    "frequency",
    "recency",
    "T",
    "monetary_value",
    "p_alive",
    "expected_purchases",
    "expected_average_value",
    "clv",
]


def clv_run_get(run_id: int | None) -> ClvRun | None:
    """The chosen finished run, or the latest one; None before the first fit."""
    if run_id:
        return get_object_or_404(clv_run_list(), pk=run_id)
    return clv_run_list().order_by("-pk").first()


@dataclass(frozen=True)
class FitReading:
    """What the fitted parameters say about the business, in the run's unit."""

    purchase_every: float | None  # a typical active customer buys every … units (alpha / r)
    dropout_percent: float | None  # chance of stopping after each purchase (a / (a + b))
    typical_order: Decimal | None  # Gamma-Gamma's mean order value (p v / (q - 1)), when q > 1
    customers: int
    repeat_customers: int
    calibration_end: date
    log_likelihood: float | None


def clv_fit_reading(run: ClvRun) -> FitReading:
    params, spend = run.bgnbd_params or {}, run.gamma_gamma_params or {}
    r, alpha, a, b = (params.get(name) for name in ("r", "alpha", "a", "b"))
    p, q, v = (spend.get(name) for name in ("p", "q", "v"))
    return FitReading(
        purchase_every=alpha / r if r and alpha else None,
        dropout_percent=100 * a / (a + b) if a is not None and b and a + b > 0 else None,
        typical_order=Decimal(p * v / (q - 1)).quantize(Decimal("0.01")) if p and v and q and q > 1 else None,
        customers=run.n_customers,
        repeat_customers=run.n_repeat,
        calibration_end=run.calibration_end,
        log_likelihood=run.log_likelihood,
    )


@dataclass(frozen=True)
class HistogramBar:
    low: Decimal
    high: Decimal
    customers: int


def clv_histogram(run: ClvRun) -> list[HistogramBar]:
    return [
        HistogramBar(low=Decimal(bar["from"]), high=Decimal(bar["to"]), customers=bar["customers"])
        for bar in run.summary.get("clv_histogram", [])
    ]


def clv_chart_data(run: ClvRun) -> dict:
    """The two charts' series for the page's json_script blob (the tables show the same figures)."""
    rows = run.holdout.get("by_frequency", []) if run.holdout else []
    return {
        "names": {
            "actual": _("Actual"),
            "predicted": _("Predicted"),
            "customers": _("Customers"),
            "frequency": _("Repeat purchases before the holdout"),
            "holdout": _("Repeat purchases in the holdout (mean per customer)"),
        },
        "holdout": {
            "labels": [str(row["frequency"]) for row in rows],
            "predicted": [row["predicted"] for row in rows],
            "actual": [row["actual"] for row in rows],
        },
        "histogram": {
            "labels": [f"{bar['from']}–{bar['to']}" for bar in run.summary.get("clv_histogram", [])],
            "customers": [bar["customers"] for bar in run.summary.get("clv_histogram", [])],
        },
    }


# --- the customer lists -------------------------------------------------------------------
def clv_scores_in_scope(scores: QuerySet[ClvScore], *, user) -> QuerySet[ClvScore]:
    return scores.filter(customer_id__in=Customer.objects.visible_to(user).values("pk"))


def clv_top_scores(run: ClvRun, *, user, limit: int = TOP_CUSTOMERS) -> QuerySet[ClvScore]:
    """The run's highest CLVs among the customers `user` may see."""
    scores = clv_scores_in_scope(ClvScore.objects.filter(run_id=run.pk), user=user)
    return scores.select_related("customer").order_by("-clv", "customer_id")[:limit]


def clv_slipping_scores(run: ClvRun, *, user) -> QuerySet[ClvScore]:
    """Customers of high past value whose p_alive fell below the threshold since the run before."""
    slipping = clv_slipping_away(run=run, previous=clv_previous_run(run))
    return clv_scores_in_scope(slipping, user=user).select_related("customer").order_by("-clv", "customer_id")


def clv_list_scores(run: ClvRun, *, which: str, user) -> QuerySet[ClvScore]:
    """ "top" or "slipping": the report's two lists (the export writes the same rows)."""
    if which == "top":
        return clv_top_scores(run, user=user)
    return clv_slipping_scores(run, user=user)


def clv_export_rows(scores: QuerySet[ClvScore]) -> Iterator[tuple]:
    reference = Coalesce(NullIf(F("customer__external_ref"), Value("")), Cast("customer_id", CharField()))
    rows = scores.annotate(customer_ref=reference)
    for score in rows:
        yield (
            score.customer_ref,  # annotated above
            score.customer.full_name,
            score.frequency,
            round(score.recency, 2),
            round(score.T, 2),
            score.monetary_value,
            round(score.p_alive, 4),
            round(score.expected_purchases, 4),
            score.expected_average_value,
            score.clv,
        )


# --- the customer list's CLV filters -------------------------------------------------------
def clv_filter_customers(
    customers: QuerySet[Customer],
    *,
    run_id: int | None,
    clv_min: Decimal | None = None,
    clv_max: Decimal | None = None,
    p_alive_max: Decimal | None = None,
    top: bool = False,
    slipping: bool = False,
) -> QuerySet[Customer]:
    """Customers whose score in the run (default: the latest kept) passes every given test.

    p_alive_max is in per cent. `top`: the TOP_CUSTOMERS highest CLVs among `customers` (so
    among those the viewer may see, as on the report). `slipping`: clv_slipping_away.
    Without a kept run nobody passes.
    """
    if clv_min is None and clv_max is None and p_alive_max is None and not top and not slipping:
        return customers
    run = _kept_run(run_id)
    if run is None:
        return customers.none()
    scores = clv_slipping_away(run=run, previous=clv_previous_run(run)) if slipping else ClvScore.objects.all()
    scores = scores.filter(run_id=run.pk)
    if clv_min is not None:
        scores = scores.filter(clv__gte=clv_min)
    if clv_max is not None:
        scores = scores.filter(clv__lte=clv_max)
    if p_alive_max is not None:
        scores = scores.filter(p_alive__lte=float(p_alive_max) / 100)
    if top:
        best = scores.filter(customer_id__in=customers.values("pk")).order_by("-clv", "customer_id")
        return customers.filter(pk__in=best.values("customer_id")[:TOP_CUSTOMERS])
    return customers.filter(pk__in=scores.values("customer_id"))


def _kept_run(run_id: int | None) -> ClvRun | None:
    runs = clv_run_list().filter(scores_kept=True)
    return runs.filter(pk=run_id).first() if run_id else runs.order_by("-pk").first()


def clv_customer_latest_score(customer: Customer) -> ClvScore | None:
    """The customer's score in the latest kept run, with the run, in one query."""
    latest = clv_run_list().filter(scores_kept=True).order_by("-pk").values("pk")[:1]
    return ClvScore.objects.filter(customer=customer, run_id=Subquery(latest)).select_related("run").first()
