"""Answering a satisfaction survey: once, whatever the timing."""

from django.db import transaction
from django.utils import timezone

from crm_project.events import event_emit

from ..models import CsatSurvey
from .tickets import ticket_event

SCORES = range(1, 6)


class SurveyAlreadyAnswered(Exception):
    """The survey has its answer; a second one is refused, never saved over it."""


@transaction.atomic
def survey_answer(*, survey: CsatSurvey, score: int, comment: str = "") -> CsatSurvey:
    """Record the customer's score (1–5) and comment. The row is locked first, so of
    two answers sent at once the second waits, sees the first and is refused."""
    if score not in SCORES:
        raise ValueError(f"A survey score is 1 to 5, not {score}.")
    locked = CsatSurvey.objects.select_for_update().select_related("ticket").get(pk=survey.pk)
    if locked.answered_at is not None:
        raise SurveyAlreadyAnswered
    locked.score, locked.comment, locked.answered_at = score, comment.strip(), timezone.now()
    locked.save(update_fields=["score", "comment", "answered_at"])
    ticket_event(ticket=locked.ticket, actor=None, action="csat_answered", new=str(score))
    event_emit("csat.answered", instance=locked, data={"ticket": locked.ticket_id, "score": score})
    return locked
