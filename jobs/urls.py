from django.urls import path

from . import views

app_name = "jobs"
urlpatterns = [
    path("", views.JobRunListView.as_view(), name="list"),
    path("run/<str:name>/", views.job_run_now, name="run-now"),
]
