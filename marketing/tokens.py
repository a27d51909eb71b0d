"""Signed tokens in campaign mail: unsubscribe, the open pixel and click links.

Each carries an OutboxMessage id (and a CampaignLink id for clicks) signed with
its own salt, so a token of one kind is no use as another and a tampered one
loads as None. Drip mail's unsubscribe link carries its SequenceStepRun id under
a salt of its own, and opens the same unsubscribe page. They do not expire: an unsubscribe link must work for ever.
The plain `Signer` (no JSON, no timestamp) keeps tokens short and cheap to make
at 100k per campaign.
"""

from django.conf import settings
from django.core import signing

_UNSUBSCRIBE = signing.Signer(salt="marketing.unsubscribe")
_OPEN = signing.Signer(salt="marketing.open")
_CLICK = signing.Signer(salt="marketing.click")
_UNSUBSCRIBE_DRIP = signing.Signer(salt="marketing.unsubscribe.drip")


def unsubscribe_token(message_id: int) -> str:
    return _UNSUBSCRIBE.sign(str(message_id))


def open_token(message_id: int) -> str:
    return _OPEN.sign(str(message_id))


def click_token(message_id: int, link_id: int) -> str:
    return _CLICK.sign(f"{message_id}-{link_id}")


def message_from_unsubscribe_token(token: str) -> int | None:
    return _load_int(_UNSUBSCRIBE, token)


def message_from_open_token(token: str) -> int | None:
    return _load_int(_OPEN, token)


def click_from_token(token: str) -> tuple[int, int] | None:
    """(message id, link id), or None for a tampered token."""
    try:
        message, link = _CLICK.unsign(token).split("-")
        return int(message), int(link)
    except (signing.BadSignature, ValueError):
        return None


def unsubscribe_url(message_id: int) -> str:
    return f"{settings.CRM_SITE_URL}/marketing/u/{unsubscribe_token(message_id)}/"


def drip_unsubscribe_url(step_run_id: int) -> str:
    return f"{settings.CRM_SITE_URL}/marketing/u/{_UNSUBSCRIBE_DRIP.sign(str(step_run_id))}/"


def open_pixel_url(message_id: int) -> str:
    return f"{settings.CRM_SITE_URL}/marketing/t/o/{open_token(message_id)}.gif"


def click_url(message_id: int, link_id: int) -> str:
    return f"{settings.CRM_SITE_URL}/marketing/t/c/{click_token(message_id, link_id)}/"


def _load_int(signer: signing.Signer, token: str) -> int | None:
    try:
        return int(signer.unsign(token))
    except (signing.BadSignature, ValueError):
        return None


def unsubscribe_from_token(token: str) -> dict | None:
    """{"customer_id", "message_id"} of an unsubscribe link (message_id None for a drip
    mail's), or None for a tampered token or a message that no longer exists."""
    from .models import OutboxMessage, SequenceStepRun

    message_id = message_from_unsubscribe_token(token)
    if message_id is None:
        step_run_id = _load_int(_UNSUBSCRIBE_DRIP, token)
        if step_run_id is None:
            return None
        customer_id = SequenceStepRun.objects.filter(pk=step_run_id).values_list("customer_id", flat=True).first()
        return None if customer_id is None else {"customer_id": customer_id, "message_id": None}
    customer_id = OutboxMessage.objects.filter(pk=message_id).values_list("customer_id", flat=True).first()
    return None if customer_id is None else {"customer_id": customer_id, "message_id": message_id}


def tracking_from_token(token: str, kind: str) -> dict | None:
    """{"message_id"} of an open pixel, {"message_id", "link_id"} of a click, or None."""
    if kind == "open":
        message_id = message_from_open_token(token)
        return None if message_id is None else {"message_id": message_id}
    click = click_from_token(token)
    return None if click is None else {"message_id": click[0], "link_id": click[1]}
