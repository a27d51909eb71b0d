from django.contrib import admin
from django.db import models

from accounts.admin import ReadOnlyAdmin

from .models import WebhookDelivery, WebhookEndpoint


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyAdmin):
    """Endpoints are kept on /webhooks/ (through the services, which check the URL); here they are read."""

    list_display = ("name", "url", "is_active", "failing_since", "disabled_at", "owner", "created_at")
    list_filter = ("is_active",)
    search_fields = ("name", "url")
    exclude = ("secret",)
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ("message_id", "endpoint", "event", "status", "attempt_count", "last_status_code", "created_at")
    list_filter = ("status",)
    search_fields = ("message_id",)
    list_select_related = ("endpoint", "event")
