"""Satisfaction results: average score, answers and the share satisfied (4 or
5) per agent and per queue, over the surveys answered in a date range, within
the queues the reader oversees (support.selectors.tickets.queues_for_user)."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Avg, Count, Q, QuerySet
from django.utils import timezone

from ..models import CsatSurvey
from .tickets import queues_for_user

SATISFIED = Q(score__gte=4)


@dataclass(frozen=True)
class CsatRow:
    key: int | None  # the agent's or the queue's id; None for unassigned
    label: str
    count: int
    average: float | None
    satisfied: int

    @property
    def satisfied_percent(self) -> float | None:
        return round(100 * self.satisfied / self.count, 1) if self.count else None


@dataclass(frozen=True)
class CsatResults:
    total: CsatRow
    by_agent: list[CsatRow]
    by_queue: list[CsatRow]


def answered_surveys(*, user, date_from: date, date_to: date) -> QuerySet[CsatSurvey]:
    """Surveys answered from `date_from` to `date_to` (inclusive, in the CRM's time zone)."""
    start = timezone.make_aware(datetime.combine(date_from, time.min))
    end = timezone.make_aware(datetime.combine(date_to + timedelta(days=1), time.min))
    return CsatSurvey.objects.filter(
        answered_at__gte=start, answered_at__lt=end, queue__in=queues_for_user(user).values("pk")
    )


def csat_results(*, user, date_from: date, date_to: date) -> CsatResults:
    """Three aggregate queries, whatever the number of surveys."""
    surveys = answered_surveys(user=user, date_from=date_from, date_to=date_to)
    measures = {"count": Count("pk"), "average": Avg("score"), "satisfied": Count("pk", filter=SATISFIED)}
    total = surveys.aggregate(**measures)
    agents = surveys.values("agent", "agent__first_name", "agent__last_name", "agent__username").annotate(**measures)
    queues = surveys.values("queue", "queue__name").annotate(**measures)
    return CsatResults(
        total=_row(None, "", total),
        by_agent=sorted((_row(a["agent"], _agent_label(a), a) for a in agents), key=_by_label),
        by_queue=sorted((_row(q["queue"], q["queue__name"], q) for q in queues), key=_by_label),
    )


def _row(key, label: str, values: Mapping[str, Any]) -> CsatRow:
    average = values["average"]
    return CsatRow(
        key=key,
        label=label,
        count=values["count"],
        average=round(float(average), 2) if average is not None else None,
        satisfied=values["satisfied"],
    )


def _agent_label(values: Mapping[str, Any]) -> str:
    if values["agent"] is None:
        return ""
    name = f"{values['agent__first_name']} {values['agent__last_name']}".strip()
    return name or values["agent__username"]


def _by_label(row: CsatRow) -> tuple:
    return (row.key is None, row.label.lower())
