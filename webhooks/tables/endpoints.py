import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from crm_project.lists import CellTemplateColumn, ShortDateColumn

from ..models import WebhookDelivery, WebhookEndpoint


class EndpointTable(tables.Table):
    card_fields = ("name", "state", "url")

    name = tables.LinkColumn("webhooks:endpoint-detail", args=[tables.A("pk")], verbose_name=_("Name"))
    url = tables.Column(verbose_name=_("URL"))
    state = CellTemplateColumn(
        template_name="webhooks/partials/endpoint_state.html", verbose_name=_("State"), order_by=("is_active",)
    )
    events = tables.Column(verbose_name=_("Events"), orderable=False)
    waiting_count = tables.Column(verbose_name=_("Waiting"))
    failed_count = tables.Column(verbose_name=_("Failed"))
    owner = tables.Column(verbose_name=_("Owner"))

    class Meta:
        model = WebhookEndpoint
        fields = ("name", "url", "state", "events", "waiting_count", "failed_count", "owner")
        order_by = ("name",)

    def render_events(self, value):
        return ", ".join(value)


class DeliveryTable(tables.Table):
    card_fields = ("created_at", "event", "status")

    created_at = ShortDateColumn(format="SHORT_DATETIME_FORMAT", verbose_name=_("Created"))
    event = tables.Column(accessor="event__name", verbose_name=_("Event"), order_by=("event__name",))
    status = CellTemplateColumn(template_name="webhooks/partials/delivery_status.html", verbose_name=_("Status"))
    attempts = CellTemplateColumn(
        template_name="webhooks/partials/delivery_attempts.html", verbose_name=_("Attempts"), orderable=False
    )
    actions = CellTemplateColumn(
        template_name="webhooks/partials/delivery_actions.html", verbose_name="", orderable=False
    )

    class Meta:
        model = WebhookDelivery
        fields = ("created_at", "event", "status", "attempts", "actions")
        order_by = ("-created_at",)
        row_attrs = {"data-delivery": lambda record: record.pk}
