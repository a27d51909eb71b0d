"""URLs of sales/views/forecast.py, inside the sales namespace."""

from django.urls import path

from .views import forecast

urlpatterns = [
    path("", forecast.forecast, name="forecast"),
    path("export.csv", forecast.forecast_export, name="forecast-export"),
    path("targets/", forecast.target_list, name="target-list"),
    path("targets/<int:team_pk>/", forecast.target_edit, name="target-edit"),
]
