from django.urls import path

from .views import clv, dashboard, rfm

app_name = "analytics"
urlpatterns = [
    path("", dashboard.overview, name="overview"),
    path("cohorts/", dashboard.cohorts, name="cohorts"),
    path("cohorts/export.csv", dashboard.cohorts_export, name="cohorts-export"),
    path("rfm/", rfm.report, name="rfm"),
    path("rfm/run/", rfm.run_now, name="rfm-run"),
    path("rfm/job/<int:pk>/", rfm.job_status, name="rfm-job"),
    path("rfm/export.csv", rfm.export, name="rfm-export"),
    path("clv/", clv.report, name="clv"),
    path("clv/export.csv", clv.export, name="clv-export"),
]
