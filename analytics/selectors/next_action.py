"""The next best action on "My day": whom to contact today, and why, in a short ranked list.

A rep sees their own customers; managers (and admins) every customer in their scope,
that is their teams'. Four signals, each read by one bounded, set-based query:

- high lifetime value with a falling p_alive between the two latest kept CLV runs
  (slipping away as `clv_slipping_away` has it, or a drop of at least P_ALIVE_DROP among
  the top quarter by CLV);
- the "Can't Lose Them" or "At Risk" segment in the latest kept RFM run (the seeded names);
- an open deal gone quiet: sales' "stuck" rule (the pipeline's stuck_after_days) counted
  from the deal's last touch, its stage change or the customer's last logged activity;
- an overdue open task on the customer.

Each signal has a weight (SIGNAL_WEIGHTS); a customer's score is the sum of their signals'
weights, ties go to the higher CLV, so the order can be explained in one sentence. A customer
drops out once acted on today: a call, email or meeting logged for today, or a task created today.

The ranking (ids and reasons, not words) is cached per user for NEXT_ACTION_CACHE_SECONDS; every
call then loads the customers in one query that re-checks the scope and "acted on today", so a
customer just called leaves at once. Reading the signals takes ten queries, however many
customers there are; a cached ranking one.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Exists, F, Min, OuterRef, Q, QuerySet, Subquery
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
from .clv import clv_latest_run, clv_previous_run, clv_scores_of
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
# The ranking is kept this long per user: a new overdue task or RFM run shows within two minutes.
NEXT_ACTION_CACHE_SECONDS = 120
# Customers kept in the cached ranking: enough to fill the list after a morning of calls.
NEXT_ACTION_RANKED = 50


@dataclass(frozen=True)
class Reason:
    """One signal for one customer; its words are made when read, in the reader's language
    and counted to that moment (the ranking may come from the cache)."""

    signal: str
    params: tuple  # see reason_text()

    @property
    def weight(self) -> int:
        return SIGNAL_WEIGHTS[self.signal]

    @property
    def text(self) -> str:
        return reason_text(self)


def reason_text(reason: Reason) -> str:
    if reason.signal == SLIPPING:
        was, now = reason.params
        text = gettext("high lifetime value, chance still active down from %(was)s%% to %(now)s%%")
        return text % {"was": round(was * 100), "now": round(now * 100)}
    if reason.signal in (CANT_LOSE, AT_RISK):
        (name,) = reason.params
        return gettext("%(segment)s in RFM") % {"segment": gettext(name)}
    if reason.signal == QUIET_DEAL:
        title, last_activity = reason.params
        days = (timezone.now() - last_activity).days
        text = ngettext(
            "open deal “%(title)s” quiet for %(days)d day", "open deal “%(title)s” quiet for %(days)d days", days
        )
        return text % {"title": title, "days": days}
    count, oldest = reason.params
    text = ngettext("a task overdue for %(time)s", "%(count)d tasks overdue, the oldest for %(time)s", count)
    return text % {"count": count, "time": timesince(oldest, depth=1)}


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
    NOT EXISTS per customer probes the customer's timeline and tasks by their customer
    indexes (neither table has an index on the time alone)."""
    start = local_day_bounds(timezone.localdate(now))[0]
    contacted = Interaction.objects.filter(customer_id=OuterRef("pk"), kind__in=CONTACT_KINDS, occurred_at__gte=start)
    tasked = Task.objects.filter(customer_id=OuterRef("pk"), created_at__gte=start)
    return customers.filter(~Exists(contacted), ~Exists(tasked))


# One entry of the cached ranking: (customer id, its reasons, its CLV or None).
Ranked = tuple[int, list[Reason], Decimal | None]


def next_actions(*, user, now: datetime | None = None, limit: int = NEXT_ACTION_LIMIT) -> list[NextAction]:
    """The user's customers to contact today, the strongest reasons first (at most `limit`).

    The signals are read at most every NEXT_ACTION_CACHE_SECONDS per user (they cost the most);
    the scope and "acted on today" are checked on every call, in the one query that loads the
    customers, so a customer just called leaves the list at once."""
    now = now or timezone.now()
    key = f"analytics:next-action:{user.pk}:{timezone.localdate(now).isoformat()}"
    ranking: list[Ranked] | None = cache.get(key)
    if ranking is None:
        ranking = next_action_ranking(user=user, now=now)
        cache.set(key, ranking, NEXT_ACTION_CACHE_SECONDS)
    ids = [customer_id for customer_id, _reasons, _clv in ranking]
    customers = not_contacted_today(next_action_customers(user).filter(pk__in=ids), now=now)
    loaded = customers.select_related("owner").in_bulk()
    actions = [
        NextAction(customer=loaded[pk], reasons=reasons, clv=clv) for pk, reasons, clv in ranking if pk in loaded
    ]
    return actions[:limit]


def next_action_ranking(*, user, now: datetime) -> list[Ranked]:
    """Every signal of the user's customers not yet acted on today, one entry per customer,
    the highest score first, CLV breaking ties; the first NEXT_ACTION_RANKED of them."""
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
    ranked = sorted(found, key=lambda pk: (-_score(found[pk]), -(clvs.get(pk) or Decimal(-1)), pk))
    return [(pk, sorted(found[pk], key=lambda r: -r.weight), clvs.get(pk)) for pk in ranked[:NEXT_ACTION_RANKED]]


def _score(reasons: list[Reason]) -> int:
    return sum(reason.weight for reason in reasons)


# --- the signals: each returns {customer id: its reason} -----------------------------------
def _clv_reasons(run: ClvRun | None, customer_ids) -> dict[int, Reason]:
    """High value, fading: slipping away since the previous run (the rule of `clv_slipping_away`,
    tested per customer here), or a steep fall among the top quarter by CLV; the steepest first.

    Read from the viewer's customers (one probe into each run per customer), never a whole run:
    `clv_slipping_away` over a million scores is a hash join of two runs, too slow for a home page."""
    previous = clv_previous_run(run) if run else None
    if run is None or previous is None:
        return {}
    threshold = settings.CLV_SLIPPING_P_ALIVE
    high_value_from = Decimal(str(run.summary.get("high_value_from", 0)))
    condition = Q(p_alive__lt=threshold, was__gte=threshold, past_value__gte=high_value_from)
    top_quartile = clv_top_quartile(run)
    if top_quartile is not None:
        # A small tolerance: 0.85 - 0.65 is 0.19999999999999996 in floating point.
        condition |= Q(clv__gte=top_quartile, p_alive_drop__gte=P_ALIVE_DROP - 1e-9)
    was = ClvScore.objects.filter(run_id=previous.pk, customer_id=OuterRef("customer_id")).values("p_alive")[:1]
    rows = (
        clv_scores_of(run.pk)
        .filter(customer_id__in=customer_ids)
        .annotate(was=Subquery(was))
        .alias(p_alive_drop=F("was") - F("p_alive"), past_value=F("frequency") * F("monetary_value"))
        .filter(condition)
        .order_by(F("p_alive_drop").desc(), "customer_id")
        .values_list("customer_id", "was", "p_alive")[:CANDIDATES_PER_SIGNAL]
    )
    return {customer_id: Reason(SLIPPING, (was, p_alive)) for customer_id, was, p_alive in rows}


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
    return {customer_id: Reason(RFM_SEGMENT_SIGNALS[name], (name,)) for customer_id, name in rows}


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
        reasons.setdefault(customer_id, Reason(QUIET_DEAL, (title, last_activity)))
    return reasons


def _overdue_task_reasons(user, customer_ids, *, now: datetime) -> dict[int, Reason]:
    rows = (
        Task.objects.visible_to(user)
        .filter(customer_id__in=customer_ids, done_at__isnull=True, due_at__lt=now)
        .values("customer_id")
        .annotate(count=Count("pk"), oldest=Min("due_at"))
        .order_by("oldest", "customer_id")[:CANDIDATES_PER_SIGNAL]
    )
    return {row["customer_id"]: Reason(OVERDUE_TASK, (row["count"], row["oldest"])) for row in rows}


def _clv_of(run: ClvRun | None, customer_ids: list[int]) -> dict[int, Decimal]:
    if run is None:
        return {}
    return dict(clv_scores_of(run.pk).filter(customer_id__in=customer_ids).values_list("customer_id", "clv"))
