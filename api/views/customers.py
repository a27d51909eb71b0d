from rest_framework import mixins, status
from rest_framework.response import Response

from customers.filters import CustomerFilter
from customers.selectors.customers import customer_get_for_user, customer_list_for_user
from customers.services import customers as customer_services

from ..serializers.customers import CustomerSerializer
from .base import ScopedViewSet


class CustomerViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    ScopedViewSet,
):
    api_app = "customers"
    list_for_user = customer_list_for_user
    get_for_user = customer_get_for_user
    serializer_class = CustomerSerializer
    filterset_class = CustomerFilter

    def create(self, request, *args, **kwargs) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        fields.pop("version", None)
        customer = customer_services.customer_create(actor=request.user, **fields)
        return Response(self.get_serializer(customer).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs) -> Response:
        customer = self.get_object()
        serializer = self.get_serializer(customer, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        version = fields.pop("version", None)
        customer = customer_services.customer_update(customer=customer, actor=request.user, version=version, **fields)
        return Response(self.get_serializer(customer).data)

    def destroy(self, request, *args, **kwargs) -> Response:
        customer_services.customer_delete(customer=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
