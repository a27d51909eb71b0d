"""The user's own pages: in-app notifications (the bell in the top bar) and their profile."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from . import services
from .forms import ProfileForm
from .models import Notification
from .registry import profile_sections
from .selectors import unread_notification_count

NOTIFICATIONS_SHOWN = 50


@login_required
def notifications(request):
    """The latest notifications, unread ones highlighted."""
    entries = Notification.objects.filter(user=request.user)[:NOTIFICATIONS_SHOWN]
    context = {"entries": entries, "crumbs": [(_("Notifications"), None)]}
    return render(request, "accounts/notifications.html", context)


@require_POST
@login_required
def notifications_mark_read(request):
    count = services.notifications_mark_read(user=request.user)
    text = ngettext("%(count)d notification marked as read.", "%(count)d notifications marked as read.", count)
    messages.success(request, text % {"count": count})
    return redirect("notifications")


@login_required
def notifications_badge(request):
    """The unread count beside the bell, fetched by htmx after the page loads."""
    return render(request, "accounts/partials/notifications_badge.html", {"unread": unread_notification_count(request)})


@login_required
def profile(request):
    """The user's name, language and time zone, then the sections other apps add
    (settings.CRM_PROFILE_SECTIONS, e.g. the API tokens)."""
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        user = services.profile_update(user=request.user, **form.cleaned_data)
        if user.language:
            translation.activate(user.language)
        messages.success(request, _("Your profile was saved."))
        response = redirect("profile")
        if user.language:
            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, user.language)
        return response
    sections = [section.render(request) for section in profile_sections()]
    context = {"form": form, "sections": sections, "crumbs": [(_("Profile"), None)]}
    return render(request, "accounts/profile.html", context)


@require_POST
@login_required
def language_choose(request):
    """The top bar's language menu: a logged-in user's choice is kept on their profile."""
    language = request.POST.get("language", "")
    if language in dict(settings.LANGUAGES):
        services.profile_update(user=request.user, language=language)
    return set_language(request)
