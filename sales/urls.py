from django.urls import include, path

app_name = "sales"
urlpatterns = [
    path("", include("sales.urls_deals")),
    path("leads/", include("sales.urls_leads")),
    path("orders/", include("sales.urls_orders")),
    path("tasks/", include("sales.urls_tasks")),
    path("forecast/", include("sales.urls_forecast")),
]
