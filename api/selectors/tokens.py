"""Reads of personal access tokens, and the one access helper the token pages use."""

from django.db.models import QuerySet
from django.http import Http404

from accounts import roles

from ..models import ApiToken


def api_tokens_of_user(*, user) -> QuerySet[ApiToken]:
    """The user's own tokens, newest first (expired ones too: their owner sees them lapse)."""
    return ApiToken.objects.filter(user=user).order_by("-created")


def api_tokens_all() -> QuerySet[ApiToken]:
    """Every user's tokens, for the admins' page."""
    return ApiToken.objects.select_related("user").order_by("-created")


def api_token_get_for_user(*, user, pk: str) -> ApiToken:
    """The token with this digest, if `user` owns it or is an admin; 404 otherwise
    (never 403: another user's token is not confirmed to exist)."""
    tokens = ApiToken.objects.all() if roles.is_admin(user) else ApiToken.objects.filter(user=user)
    try:
        return tokens.select_related("user").get(pk=pk)
    except ApiToken.DoesNotExist:
        raise Http404("No such token.") from None
