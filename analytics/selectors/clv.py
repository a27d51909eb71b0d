"""Reads of the lifetime-value runs: the latest and previous run, a customer's score,
the customers slipping away, and the plain-language reading of p_alive.

Shared by the CLV report, the customer page's panel, the customer-list filters,
marketing's segment fields and the next best action on "My day".
"""

from django.conf import settings
from django.db.models import F, QuerySet
from django.utils.translation import gettext_lazy as _

from customers.models import Customer

from ..models import ClvRun, ClvScore

# p_alive at or above the first bound reads as the phrase beside it (checked top down).
P_ALIVE_PHRASES = (
    (0.8, _("very likely still active")),
    (0.5, _("probably still active")),
    (0.2, _("may have lapsed")),
    (0.0, _("probably lapsed")),
)


def p_alive_phrase(p_alive: float) -> str:
    for bound, phrase in P_ALIVE_PHRASES:
        if p_alive >= bound:
            return str(phrase)
    return str(P_ALIVE_PHRASES[-1][1])


def clv_run_list() -> QuerySet[ClvRun]:
    return ClvRun.objects.filter(finished_at__isnull=False).select_related("triggered_by")


def clv_latest_run() -> ClvRun | None:
    """The latest finished run that keeps its scores; None before the first fit."""
    return clv_run_list().filter(scores_kept=True).order_by("-pk").first()


def clv_latest_run_id() -> int | None:
    return (
        ClvRun.objects.filter(finished_at__isnull=False, scores_kept=True)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )


def clv_previous_run(run: ClvRun) -> ClvRun | None:
    """The kept run before `run`, to compare with."""
    return clv_run_list().filter(pk__lt=run.pk, scores_kept=True).order_by("-pk").first()


def clv_customer_score(customer: Customer) -> ClvScore | None:
    """The customer's score in the latest kept run (None when the customer has no purchase in it)."""
    run_id = clv_latest_run_id()
    if run_id is None:
        return None
    return ClvScore.objects.filter(run_id=run_id, customer=customer).first()


def clv_scores_of(run_id: int) -> QuerySet[ClvScore]:
    return ClvScore.objects.filter(run_id=run_id)


def clv_slipping_away(
    *, run: ClvRun, previous: ClvRun | None, threshold: float | None = None, min_value: float | None = None
) -> QuerySet[ClvScore]:
    """Scores of `run` whose p_alive fell below `threshold` since `previous` (from at or above it),
    among customers of high past value: repeat spend (frequency × mean repeat value) of at least
    `min_value`, by default the run's top-quartile figure stored in its summary.

    Without a previous run there is no "since", so nothing is slipping yet.
    """
    if previous is None:
        return ClvScore.objects.none()
    threshold = settings.CLV_SLIPPING_P_ALIVE if threshold is None else threshold
    if min_value is None:
        min_value = float(run.summary.get("high_value_from", 0))
    was_alive = ClvScore.objects.filter(run_id=previous.pk, p_alive__gte=threshold).values("customer_id")
    return (
        clv_scores_of(run.pk)
        .filter(p_alive__lt=threshold, customer_id__in=was_alive)
        .alias(past_value=F("frequency") * F("monetary_value"))
        .filter(past_value__gte=min_value)
    )
