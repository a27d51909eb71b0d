"""The next best action on "My day": whom to contact today, and why, in a short ranked list.

A rep sees their own customers; managers (and admins) every customer in their scope,
that is their teams'. Four signals, each read by one bounded, set-based query:

- high lifetime value with a falling p_alive between the two latest kept CLV runs
  (`clv_slipping_away`, or a drop of at least P_ALIVE_DROP among the top quarter by CLV);
- the "Can't Lose Them" or "At Risk" segment in the latest kept RFM run (the seeded names);
- an open deal gone quiet: sales' "stuck" rule (the pipeline's stuck_after_days) counted
  from the deal's last touch, its stage change or the customer's last logged activity;
- an overdue open task on the customer.

Each signal has a weight (SIGNAL_WEIGHTS); a customer's score is the sum of their signals'
weights, ties go to the higher CLV, so the order can be explained in one sentence. A customer
drops out once acted on today: a call, email or meeting logged for today, or a task created today.
The number of queries does not depend on how many customers there are.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.core.cache import cache
from django.db.models import Count, F, Min, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.timesince import timesince
from django.utils.translation import gettext, ngettext

from accounts import roles
from customers.models import Customer, Interaction
from sales.models import Deal, Pipeline, Task
from sales.selectors.todos import stuck_condition
from sales.services.todos import local_day_bounds

from ..models import ClvRun, ClvScore, RfmScore
from .clv import clv_latest_run, clv_previous_run, clv_scores_of, clv_slipping_away
from .rfm import rfm_latest_kept_run_id

NEXT_ACTION_LIMIT = 10
# Rows read per signal: the strongest of each, far more than the list shows.
CANDIDATES_PER_SIGNAL = 100
# Among the top quarter by CLV, a fall of p_alive by this much since the previous run is a reason.
P_ALIVE_DROP = 0.2
SLIPPING, CANT_LOSE, AT_RISK, QUIET_DEAL, OVERDUE_TASK = "slipping", "cant_lose", "at_risk", "quiet_deal", "overdue"
SIGNAL_WEIGHTS = {SLIPPING: 40, CANT_LOSE: 35, AT_RISK: 30, QUIET_DEAL: 25, OVERDUE_TASK: 20}
# The seeded segment names (analytics/migrations/0002) and the signal each one is.
RFM_SEGMENT_SIGNALS = {"Can't Lose Them": CANT_LOSE, "At Risk": AT_RISK}
# What counts as having contacted a customer today; any logged entry (notes too) keeps a deal from going quiet.
CONTACT_KINDS = (Interaction.Kind.CALL, Interaction.Kind.EMAIL, Interaction.Kind.MEETING)
SUMMARY_LENGTH = 200  # Interaction.summary's max_length
TOP_QUARTILE_CACHE_SECONDS = 7 * 24 * 3600  # a run's scores never change


@dataclass(frozen=True)
class Reason:
    signal: str
    text: str

    @property
    def weight(self) -> int:
        return SIGNAL_WEIGHTS[self.signal]


@dataclass
class NextAction:
    customer: Customer
    reasons: list[Reason] = field(default_factory=list)
    clv: Decimal | None = None

    @property
    def score(self) -> int:
        return _score(self.reasons)

    @property
    def reason_text(self) -> str:
        return " · ".join(reason.text for reason in self.reasons)

    @property
    def call_summary(self) -> str:
        """The logged call's summary, ready to save as it is or to edit: why the rep called
        (the timeline shows it after the kind: "Call: At Risk in RFM")."""
        return Truncator(self.reason_text).chars(SUMMARY_LENGTH)


def next_action_customers(user) -> QuerySet[Customer]:
    """A rep's own customers; a manager's or admin's whole scope (their teams' customers)."""
    customers = Customer.objects.visible_to(user)
    if not roles.is_manager_or_admin(user):
        customers = customers.filter(owner=user)
    return customers


def not_contacted_today(customers: QuerySet[Customer], *, now: datetime) -> QuerySet[Customer]:
    """Leave out customers called, emailed or met today, or given a new task today.
    The subqueries skip rows without a customer: NOT IN over a NULL would drop everyone."""
    start = local_day_bounds(timezone.localdate(now))[0]
    contacted = Interaction.objects.filter(
        customer_id__isnull=False, kind__in=CONTACT_KINDS, occurred_at__gte=start
    ).values("customer_id")
    tasked = Task.objects.filter(customer_id__isnull=False, created_at__gte=start).values("customer_id")
    return customers.exclude(pk__in=contacted).exclude(pk__in=tasked)


def next_actions(*, user, now: datetime | None = None, limit: int = NEXT_ACTION_LIMIT) -> list[NextAction]:
    """The user's customers to contact today, the strongest reasons first (at most `limit`)."""
    now = now or timezone.now()
    customer_ids = not_contacted_today(next_action_customers(user), now=now).values("pk")
    clv_run = clv_latest_run()
    found: dict[int, list[Reason]] = {}
    for signal_reasons in (
        _clv_reasons(clv_run, customer_ids),
        _rfm_reasons(customer_ids),
        _quiet_deal_reasons(user, customer_ids, now=now),
        _overdue_task_reasons(user, customer_ids, now=now),
    ):
        for customer_id, reason in signal_reasons.items():
            found.setdefault(customer_id, []).append(reason)
    if not found:
        return []
    clvs = _clv_of(clv_run, list(found))
    ranked = sorted(found, key=lambda pk: (-_score(found[pk]), -(clvs.get(pk) or Decimal(-1)), pk))[:limit]
    customers = Customer.objects.select_related("owner").in_bulk(ranked)
    return [
        NextAction(customer=customers[pk], reasons=sorted(found[pk], key=lambda r: -r.weight), clv=clvs.get(pk))
        for pk in ranked
        if pk in customers
    ]


def _score(reasons: list[Reason]) -> int:
    return sum(reason.weight for reason in reasons)


# --- the signals: each returns {customer id: its reason} -----------------------------------
def _clv_reasons(run: ClvRun | None, customer_ids) -> dict[int, Reason]:
    """High value, fading: slipping away since the previous run, or a steep fall among the top quarter."""
    previous = clv_previous_run(run) if run else None
    if run is None or previous is None:
        return {}
    condition = Q(customer_id__in=clv_slipping_away(run=run, previous=previous).values("customer_id"))
    top_quartile = clv_top_quartile(run)
    if top_quartile is not None:
        # A small tolerance: 0.85 - 0.65 is 0.19999999999999996 in floating point.
        condition |= Q(clv__gte=top_quartile, p_alive_drop__gte=P_ALIVE_DROP - 1e-9)
    was = ClvScore.objects.filter(run_id=previous.pk, customer_id=OuterRef("customer_id")).values("p_alive")[:1]
    rows = (
        clv_scores_of(run.pk)
        .filter(customer_id__in=customer_ids)
        .annotate(was=Subquery(was))
        .alias(p_alive_drop=F("was") - F("p_alive"))
        .filter(condition)
        .order_by("-clv", "customer_id")
        .values_list("customer_id", "was", "p_alive")[:CANDIDATES_PER_SIGNAL]
    )
    text = gettext("high lifetime value, chance still active down from %(was)s%% to %(now)s%%")
    return {
        customer_id: Reason(SLIPPING, text % {"was": round(was * 100), "now": round(p_alive * 100)})
        for customer_id, was, p_alive in rows
    }


def clv_top_quartile(run: ClvRun) -> Decimal | None:
    """The lowest CLV of the run's top quarter (None for a run without scores); cached per run."""
    key = f"analytics:clv-top-quartile:{run.pk}"
    cached = cache.get(key)
    if cached is None:
        scores = clv_scores_of(run.pk)
        count = scores.count()
        value = scores.order_by("-clv").values_list("clv", flat=True)[max((count + 3) // 4 - 1, 0)] if count else ""
        cached = str(value)
        cache.set(key, cached, TOP_QUARTILE_CACHE_SECONDS)
    return Decimal(cached) if cached else None


def _rfm_reasons(customer_ids) -> dict[int, Reason]:
    run_id = rfm_latest_kept_run_id()
    if run_id is None:
        return {}
    rows = (
        RfmScore.objects.filter(run_id=run_id, customer_id__in=customer_ids, segment__name__in=RFM_SEGMENT_SIGNALS)
        .order_by("-monetary", "customer_id")
        .values_list("customer_id", "segment__name")[:CANDIDATES_PER_SIGNAL]
    )
    text = gettext("%(segment)s in RFM")
    return {
        customer_id: Reason(RFM_SEGMENT_SIGNALS[name], text % {"segment": gettext(name)}) for customer_id, name in rows
    }


def _quiet_deal_reasons(user, customer_ids, *, now: datetime) -> dict[int, Reason]:
    """Open deals the user may see, untouched for longer than their pipeline's stuck threshold;
    the quietest one speaks for its customer."""
    last_logged = (
        Interaction.objects.filter(customer_id=OuterRef("customer_id"), kind__in=Interaction.LOGGABLE_KINDS)
        .order_by("-occurred_at")
        .values("occurred_at")[:1]
    )
    pipelines = Pipeline.objects.only("pk", "stuck_after_days")
    rows = (
        Deal.objects.visible_to(user)
        .filter(status=Deal.Status.OPEN, customer_id__in=customer_ids)
        .annotate(last_activity=Greatest("stage_changed_at", Coalesce(Subquery(last_logged), "stage_changed_at")))
        .filter(stuck_condition(pipelines, now, since="last_activity"))
        .order_by("last_activity", "pk")
        .values_list("customer_id", "title", "last_activity")[:CANDIDATES_PER_SIGNAL]
    )
    reasons: dict[int, Reason] = {}
    for customer_id, title, last_activity in rows:
        days = (now - last_activity).days
        text = ngettext(
            "open deal “%(title)s” quiet for %(days)d day", "open deal “%(title)s” quiet for %(days)d days", days
        )
        reasons.setdefault(customer_id, Reason(QUIET_DEAL, text % {"title": title, "days": days}))
    return reasons


def _overdue_task_reasons(user, customer_ids, *, now: datetime) -> dict[int, Reason]:
    rows = (
        Task.objects.visible_to(user)
        .filter(customer_id__in=customer_ids, done_at__isnull=True, due_at__lt=now)
        .values("customer_id")
        .annotate(count=Count("pk"), oldest=Min("due_at"))
        .order_by("oldest", "customer_id")[:CANDIDATES_PER_SIGNAL]
    )
    reasons = {}
    for row in rows:
        text = ngettext("a task overdue for %(time)s", "%(count)d tasks overdue, the oldest for %(time)s", row["count"])
        time = timesince(row["oldest"], now, depth=1)
        reasons[row["customer_id"]] = Reason(OVERDUE_TASK, text % {"count": row["count"], "time": time})
    return reasons


def _clv_of(run: ClvRun | None, customer_ids: list[int]) -> dict[int, Decimal]:
    if run is None:
        return {}
    return dict(clv_scores_of(run.pk).filter(customer_id__in=customer_ids).values_list("customer_id", "clv"))
