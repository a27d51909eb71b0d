from django.contrib import admin
from django.urls import include, path

from . import saved_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("search/suggest/", views.search_suggest, name="search-suggest"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("accounts.urls")),
    path("views/", include(saved_views.urlpatterns)),
    path("jobs/", include("jobs.urls")),
    path("customers/", include("customers.urls")),
    path("sales/", include("sales.urls")),
    path("analytics/", include("analytics.urls")),
    path("marketing/", include("marketing.urls")),
    path("", include("support.urls")),  # /support/… for agents, /help/… for customers
    path("api/", include("api.urls")),
    path("webhooks/", include("webhooks.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

handler403 = "crm_project.views.permission_denied"
handler404 = "crm_project.views.page_not_found"
