"""Each user's own language and time zone, chosen on their profile page."""

import zoneinfo

from django.utils import timezone, translation


class UserPreferencesMiddleware:
    """After authentication: the profile's language wins over the browser's and the
    cookie, and its time zone over the CRM's TIME_ZONE, for this request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            if user.language:
                translation.activate(user.language)
                request.LANGUAGE_CODE = user.language
            if user.time_zone:
                timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
