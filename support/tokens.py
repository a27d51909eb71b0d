"""Signed, expiring tokens for the customer's pages (no login): the ticket
link and the satisfaction survey. A tampered token is invalid; an expired one
is told apart so the page can offer a fresh link."""

from dataclasses import dataclass

from django.conf import settings
from django.core import signing

_TICKET_SALT = "support.ticket-link"
_SURVEY_SALT = "support.csat"


@dataclass(frozen=True)
class Unsigned:
    pk: int | None
    expired: bool = False


def ticket_token(ticket) -> str:
    return signing.dumps({"t": ticket.pk, "c": ticket.customer_id}, salt=_TICKET_SALT, compress=True)


def ticket_from_token(token: str) -> Unsigned:
    """The ticket id in a link, or None if tampered; `expired` for an old but genuine one."""
    return _load(token, salt=_TICKET_SALT, key="t", max_age_days=settings.CRM_SUPPORT_LINK_MAX_AGE_DAYS)


def survey_token(survey) -> str:
    return signing.dumps({"s": survey.pk}, salt=_SURVEY_SALT, compress=True)


def survey_from_token(token: str) -> Unsigned:
    return _load(token, salt=_SURVEY_SALT, key="s", max_age_days=settings.CRM_SUPPORT_SURVEY_MAX_AGE_DAYS)


def _load(token: str, *, salt: str, key: str, max_age_days: int) -> Unsigned:
    try:
        value = signing.loads(token, salt=salt, max_age=max_age_days * 86400)
    except signing.SignatureExpired:
        value = signing.loads(token, salt=salt)
        return Unsigned(pk=value.get(key), expired=True)
    except signing.BadSignature:
        return Unsigned(pk=None)
    return Unsigned(pk=value.get(key))
