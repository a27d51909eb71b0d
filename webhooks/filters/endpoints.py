import django_filters
from django.utils.translation import gettext_lazy as _

from crm_project.events import EVENTS

from ..models import WebhookDelivery, WebhookEndpoint


class EndpointFilter(django_filters.FilterSet):
    main_filters = ("is_active",)
    is_active = django_filters.BooleanFilter(label=_("Active"))

    class Meta:
        model = WebhookEndpoint
        fields = ["is_active"]


class DeliveryFilter(django_filters.FilterSet):
    main_filters = ("status", "event")
    status = django_filters.ChoiceFilter(label=_("Status"), choices=WebhookDelivery.Status.choices)
    event = django_filters.ChoiceFilter(
        label=_("Event"), field_name="event__name", choices=lambda: [(name, name) for name in EVENTS]
    )

    class Meta:
        model = WebhookDelivery
        fields = ["status", "event"]
