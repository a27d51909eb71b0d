"""Marketing's URLs under /marketing/: segments, templates, campaigns, forms,
sequences (managers and marketers), and the public tracking, unsubscribe and
form endpoints (signed tokens, no login). One block per area."""

from django.urls import path  # noqa: F401 - the areas add their paths

app_name = "marketing"

urlpatterns: list = []
