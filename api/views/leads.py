"""Leads: list, retrieve, create, update, status and conversion, for the roles the lead
pages allow (support agents never see leads). There is no deleting a lead."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from sales.filters.leads import LeadFilter
from sales.selectors import leads as selectors
from sales.services import leads as lead_services

from ..serializers.leads import LeadConvertSerializer, LeadSerializer, LeadStatusSerializer
from .base import ScopedViewSet, require


class LeadViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    api_app = "sales"
    list_for_user = selectors.lead_list_for_user
    get_for_user = selectors.lead_get_for_user
    serializer_class = LeadSerializer
    filterset_class = LeadFilter
    # The page's FilterSet has no defaults; the rows' relations are shown as ids (or expanded).
    filterset_has_defaults = False
    list_select_related = ()

    def check_permissions(self, request) -> None:
        super().check_permissions(request)
        require(selectors.may_use_leads(request.user), _("Leads are for sales reps, managers and admins."))

    def create(self, request, *args, **kwargs) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        fields.pop("version", None)
        # Without an owner (a rep's lead, or a manager's left empty) the assignment rules choose.
        lead = lead_services.lead_create(actor=request.user, **fields)
        return Response(self.get_serializer(lead).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs) -> Response:
        lead = self.get_object()
        serializer = self.get_serializer(lead, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        version = fields.pop("version", None)
        lead = lead_services.lead_update(lead=lead, actor=request.user, version=version, **fields)
        return Response(self.get_serializer(lead).data)

    @extend_schema(request=LeadStatusSerializer, responses=LeadSerializer)
    @action(detail=True, methods=["post"], url_path="status")
    def set_status(self, request, pk=None) -> Response:
        """Set the lead's status (unqualified needs a `reason`); a converted lead's status is fixed."""
        lead = self.get_object()
        serializer = LeadStatusSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        lead = lead_services.lead_set_status(lead=lead, actor=request.user, **serializer.validated_data)
        return Response(self.get_serializer(lead).data)

    @extend_schema(request=LeadConvertSerializer, responses=LeadSerializer)
    @action(detail=True, methods=["post"])
    def convert(self, request, pk=None) -> Response:
        """Turn the lead into a customer (optionally with a deal); the lead then names both."""
        lead = self.get_object()
        serializer = LeadConvertSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        lead_services.lead_convert(lead=lead, actor=request.user, **serializer.service_arguments())
        lead = selectors.lead_get_for_user(user=request.user, pk=lead.pk)
        return Response(self.get_serializer(lead).data)
