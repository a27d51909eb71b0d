"""URLs of sales/views/deals.py, inside the sales namespace."""

from django.urls import path

from .views.placeholder import coming_soon  # replace with the real views

urlpatterns = [
    path("pipeline/", coming_soon, name="pipeline"),
    path("deals/", coming_soon, name="deal-list"),
]
