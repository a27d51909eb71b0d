"""Support's URLs: the agents' pages under /support/ and the customers' pages
(no login) under /help/. One block per area."""

from django.urls import path  # noqa: F401 - the areas add their paths

app_name = "support"

# --- agents: home, tickets, dashboard, knowledge base -------------------------
urlpatterns: list = []

# dashboard (sla-ops)
from .views import dashboard  # noqa: E402 - one import per block keeps the areas' edits apart

urlpatterns += [path("support/dashboard/", dashboard.dashboard, name="dashboard")]

# --- customers, no login: new request, ticket link, survey, public articles ----
urlpatterns += []
