"""Webhook pages for managers and admins: endpoints, their delivery log, resend and test."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from crm_project.lists import FilteredTableView
from crm_project.permissions import ManagerOrAdminRequiredMixin, manager_or_admin_required

from ..filters.endpoints import DeliveryFilter, EndpointFilter
from ..forms.endpoints import EndpointForm
from ..selectors import endpoints as selectors
from ..services import endpoints as services
from ..tables.endpoints import DeliveryTable, EndpointTable


class EndpointListView(ManagerOrAdminRequiredMixin, FilteredTableView):
    table_class = EndpointTable
    filterset_class = EndpointFilter
    page_title = gettext_lazy("Webhooks")

    def get_queryset(self):
        return selectors.endpoint_list_for_user(user=self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["create_link"] = (_("New endpoint"), reverse("webhooks:endpoint-create"))
        return context


class EndpointDetailView(ManagerOrAdminRequiredMixin, FilteredTableView):
    """The endpoint (URL, events, secret, actions) above its delivery log."""

    table_class = DeliveryTable
    filterset_class = DeliveryFilter
    template_name = "webhooks/endpoint_detail.html"

    def get_queryset(self):
        self.endpoint = selectors.endpoint_get_for_user(user=self.request.user, pk=self.kwargs["pk"])
        return selectors.delivery_log(endpoint=self.endpoint)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context |= {"endpoint": self.endpoint, "page_title": self.endpoint.name}
        context["crumbs"] = [(_("Webhooks"), reverse("webhooks:endpoint-list")), (self.endpoint.name, "")]
        return context


@manager_or_admin_required
def endpoint_create(request):
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint = services.webhook_endpoint_create(**form.cleaned_data, actor=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Endpoint saved. Its signing secret is on this page."))
            return redirect("webhooks:endpoint-detail", pk=endpoint.pk)
    return render(request, "webhooks/endpoint_form.html", {"form": form, "title": _("New webhook endpoint")})


@manager_or_admin_required
def endpoint_edit(request, pk: int):
    endpoint = selectors.endpoint_get_for_user(user=request.user, pk=pk)
    initial = {"name": endpoint.name, "url": endpoint.url, "events": endpoint.events, "is_active": endpoint.is_active}
    form = EndpointForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.webhook_endpoint_update(endpoint=endpoint, **form.cleaned_data, actor=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Endpoint saved."))
            return redirect("webhooks:endpoint-detail", pk=endpoint.pk)
    context = {"form": form, "title": endpoint.name, "endpoint": endpoint}
    return render(request, "webhooks/endpoint_form.html", context)


@require_POST
@manager_or_admin_required
def endpoint_rotate_secret(request, pk: int):
    endpoint = selectors.endpoint_get_for_user(user=request.user, pk=pk)
    services.webhook_endpoint_rotate_secret(endpoint=endpoint, actor=request.user)
    messages.success(request, _("A new signing secret was made; give it to the receiver."))
    return redirect("webhooks:endpoint-detail", pk=pk)


@require_POST
@manager_or_admin_required
def endpoint_test(request, pk: int):
    endpoint = selectors.endpoint_get_for_user(user=request.user, pk=pk)
    services.webhook_test_send(endpoint=endpoint, actor=request.user)
    messages.success(request, _("A test event is on its way; it appears in the log below."))
    return redirect("webhooks:endpoint-detail", pk=pk)


@require_POST
@manager_or_admin_required
def endpoint_delete(request, pk: int):
    endpoint = selectors.endpoint_get_for_user(user=request.user, pk=pk)
    services.webhook_endpoint_delete(endpoint=endpoint, actor=request.user)
    messages.success(request, _("Endpoint deleted."))
    return redirect("webhooks:endpoint-list")


@manager_or_admin_required
def delivery_detail(request, pk: int):
    delivery = selectors.delivery_get_for_user(user=request.user, pk=pk)
    endpoint = delivery.endpoint
    context = {
        "delivery": delivery,
        "endpoint": endpoint,
        "attempts": delivery.attempts.order_by("started_at", "pk"),
        "crumbs": [
            (_("Webhooks"), reverse("webhooks:endpoint-list")),
            (endpoint.name, reverse("webhooks:endpoint-detail", args=[endpoint.pk])),
            (delivery.message_id, ""),
        ],
    }
    return render(request, "webhooks/delivery_detail.html", context)


@require_POST
@manager_or_admin_required
def delivery_resend(request, pk: int):
    delivery = selectors.delivery_get_for_user(user=request.user, pk=pk)
    services.delivery_resend(delivery=delivery, actor=request.user)
    messages.success(request, _("The event will be sent again, as a new delivery."))
    return redirect("webhooks:endpoint-detail", pk=delivery.endpoint_id)
