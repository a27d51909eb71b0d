"""Personal access tokens: create one (shown once) and revoke one."""

import logging
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts import roles
from accounts import services as account_services
from accounts.models import User

from ..models import APPS, READ, SCOPES, ApiToken

logger = logging.getLogger("crm.api")


@transaction.atomic
def api_token_create(
    *,
    user: User,
    name: str,
    scopes: Iterable[str] = (READ,),
    apps: Iterable[str] = (),
    expires_in_days: int | None = None,
    actor: User | None,
) -> tuple[ApiToken, str]:
    """A new token for `user`; returns it with the raw token, which exists only in
    this return value (the row keeps knox's SHA-512 digest). `actor` None: a command."""
    if actor is not None and actor.pk != user.pk and not roles.is_admin(actor):
        raise PermissionDenied
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Give the token a name.")})
    scopes, apps = _known(scopes, SCOPES, "scopes"), _known(apps, APPS, "apps")
    if not scopes:
        raise ValidationError({"scopes": _("Choose at least one scope.")})
    token, raw = ApiToken.objects.create(
        user, expiry=timedelta(days=_days(expires_in_days)), name=name[:100], scopes=scopes, apps=apps
    )
    logger.info(
        "api token created: user=%s token=%s… name=%r scopes=%s apps=%s by=%s",
        user.pk,
        token.token_key,
        token.name,
        ",".join(scopes),
        ",".join(apps) or "all",
        actor.pk if actor else "command",
    )
    return token, raw


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor: User | None) -> None:
    """Delete the token: its next request gets 401. An admin revoking someone else's
    token tells its owner, so a script that stops working has an explanation."""
    owner = token.user
    logger.info(
        "api token revoked: user=%s token=%s… name=%r by=%s",
        owner.pk,
        token.token_key,
        token.name,
        actor.pk if actor else "command",
    )
    token.delete()
    if actor is not None and actor.pk != owner.pk:
        text = _("Your API token “%(name)s” was revoked by %(actor)s.") % {"name": token.name, "actor": actor}
        account_services.notification_create(user=owner, text=text)


def _known(values: Iterable[str], known: dict, field: str) -> list[str]:
    """The values in `known`'s order, without repeats; an unknown one is an error."""
    wanted = set(values)
    unknown = wanted - set(known)
    if unknown:
        raise ValidationError({field: _("Unknown: %(values)s.") % {"values": ", ".join(sorted(unknown))}})
    return [key for key in known if key in wanted]


def _days(expires_in_days: int | None) -> int:
    if expires_in_days is None:
        return settings.CRM_API_TOKEN_DEFAULT_DAYS
    if expires_in_days < 1:
        raise ValidationError({"expires_in_days": _("A token lasts at least one day.")})
    # Capped, not refused: a script asking for "forever" gets the longest allowed.
    return min(expires_in_days, settings.CRM_API_TOKEN_MAX_DAYS)
