"""URLs of customers/views/duplicates.py, inside the customers namespace."""

from django.urls import path

from .views import duplicates

urlpatterns = [
    path("", duplicates.duplicate_list, name="duplicate-list"),
    path("merge/<int:a>/<int:b>/", duplicates.customer_merge, name="customer-merge"),
]
