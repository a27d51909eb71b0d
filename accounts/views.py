"""The user's own pages: in-app notifications (the bell in the top bar)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from . import services
from .models import Notification
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
