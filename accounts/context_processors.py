"""The unread-notification count for the bell in the top bar.

The count is lazy (templates call it) and cached on the request: a template that never shows it
costs no query, and one that shows it twice costs one. base.html renders the
bell as a plain link and lets htmx fetch the badge after the page has loaded
(url name `notifications-badge`), so ordinary pages keep their pinned query
counts; without JavaScript the bell still links to the notifications page.
"""

from functools import partial

from accounts.selectors import unread_notification_count


def notifications(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # A callable: templates call it when they show it, and unread_count caches on the request.
    return {"notifications_unread": partial(unread_notification_count, request)}
