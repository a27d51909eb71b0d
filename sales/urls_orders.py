"""URLs of sales/views/orders.py, inside the sales namespace."""

from django.urls import path

from .views.placeholder import coming_soon  # replace with the real views

urlpatterns = [
    path("", coming_soon, name="order-list"),
]
