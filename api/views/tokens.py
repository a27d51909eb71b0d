"""Pages for personal access tokens: create (shown once), revoke, and the admins' list.

The user's own tokens are listed on their profile page (api.panels.TOKENS_SECTION);
these views do the writes and come back there.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import roles

from ..forms.tokens import ApiTokenForm
from ..selectors import tokens as token_selectors
from ..services import tokens as token_services

ADMIN_PAGE_SIZE = 50


def _profile_url() -> str:
    return reverse("profile") + "#api-tokens"


@login_required
def token_create(request):
    """POST: create the token and show it in this response, once. It is never put in
    the session or a message: the next page load cannot show it again."""
    form = ApiTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not _first_submission(request, form.cleaned_data["submission"]):
            messages.info(request, _("That token was already created and shown once; it is in the list below."))
            return redirect(_profile_url())
        try:
            token, raw = token_services.api_token_create(
                user=request.user,
                name=form.cleaned_data["name"],
                scopes=form.scopes(),
                apps=form.cleaned_data["apps"],
                expires_in_days=form.cleaned_data["expires_in_days"],
                actor=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            context = {"token": token, "raw": raw, "profile_url": _profile_url(), "crumbs": _crumbs(_("New token"))}
            response = render(request, "api/token_created.html", context)
            add_never_cache_headers(response)  # no copy in the browser's or a proxy's cache
            return response
    return render(request, "api/token_new.html", {"form": form, "crumbs": _crumbs(_("New token"))})


def _first_submission(request, submission: str) -> bool:
    """False when this form was posted before (a reload of the page showing the token)."""
    if not submission:
        return True
    return cache.add(f"api-token-submission:{request.user.pk}:{submission}", True, timeout=24 * 3600)


@require_POST
@login_required
def token_revoke(request, pk: str):
    token = token_selectors.api_token_get_for_user(user=request.user, pk=pk)
    token_services.api_token_revoke(token=token, actor=request.user)
    messages.success(request, _("The token “%(name)s” was revoked.") % {"name": token.name})
    next_url = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        return redirect(next_url)
    return redirect(_profile_url())


@login_required
def token_admin_list(request):
    """Every user's tokens, for admins (others: 403)."""
    if not roles.is_admin(request.user):
        raise PermissionDenied
    page = Paginator(token_selectors.api_tokens_all(), ADMIN_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page_obj": page, "tokens": page.object_list, "crumbs": [(_("API tokens"), None)]}
    return render(request, "api/token_list.html", context)


def _crumbs(current: str) -> list:
    return [(_("Profile"), _profile_url()), (current, None)]
