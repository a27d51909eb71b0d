from django.urls import path

from .views import endpoints

app_name = "webhooks"

urlpatterns = [
    path("", endpoints.EndpointListView.as_view(), name="endpoint-list"),
    path("new/", endpoints.endpoint_create, name="endpoint-create"),
    path("<int:pk>/", endpoints.EndpointDetailView.as_view(), name="endpoint-detail"),
    path("<int:pk>/edit/", endpoints.endpoint_edit, name="endpoint-edit"),
    path("<int:pk>/rotate-secret/", endpoints.endpoint_rotate_secret, name="endpoint-rotate-secret"),
    path("<int:pk>/test/", endpoints.endpoint_test, name="endpoint-test"),
    path("<int:pk>/delete/", endpoints.endpoint_delete, name="endpoint-delete"),
    path("deliveries/<int:pk>/", endpoints.delivery_detail, name="delivery-detail"),
    path("deliveries/<int:pk>/resend/", endpoints.delivery_resend, name="delivery-resend"),
]
