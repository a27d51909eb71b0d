from django.urls import include, path

# Login, logout, password change and password reset (by email) are Django's
# own views with our templates in templates/registration/.
urlpatterns = [path("", include("django.contrib.auth.urls"))]
