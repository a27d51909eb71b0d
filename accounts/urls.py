from django.urls import include, path

from . import views

# Login, logout, password change and password reset (by email) are Django's
# own views with our templates in templates/registration/.
urlpatterns = [
    path("", include("django.contrib.auth.urls")),
    path("profile/", views.profile, name="profile"),
    path("language/", views.language_choose, name="language-choose"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_mark_read, name="notifications-mark-read"),
    path("notifications/badge/", views.notifications_badge, name="notifications-badge"),
]
