"""Companies: the list page's filters, the pages' access rules, the customers services."""

from django.core.exceptions import PermissionDenied
from rest_framework import mixins, status
from rest_framework.response import Response

from customers.filters import CompanyFilter
from customers.models import Company
from customers.selectors import customers as selectors
from customers.services import customers as customer_services

from ..serializers.customers import CompanySerializer
from .base import ScopedViewSet
from .customers import actor


class CompanyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    api_app = "customers"
    list_for_user = selectors.company_list_for_user
    get_for_user = selectors.company_get_for_user
    serializer_class = CompanySerializer
    filterset_class = CompanyFilter

    def create(self, request, *args, **kwargs) -> Response:
        if not selectors.may_create_customers(request.user):
            raise PermissionDenied
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        fields.pop("version", None)
        company = customer_services.company_create(actor=request.user, **fields)
        return Response(self.get_serializer(company).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs) -> Response:
        company = self.get_object()
        serializer = self.get_serializer(company, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        company = self._save(company, dict(serializer.validated_data))
        return Response(self.get_serializer(company).data)

    def partial_update(self, request, *args, **kwargs) -> Response:
        return self.update(request, *args, partial=True, **kwargs)

    def destroy(self, request, *args, **kwargs) -> Response:
        customer_services.company_delete(company=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _save(self, company: Company, fields: dict) -> Company:
        version = fields.pop("version", None)
        return customer_services.company_update(company=company, actor=actor(self), version=version, **fields)
