"""Orders (list, retrieve, create with lines, upsert by the shop's order reference) and
products (list and retrieve; managers and admins create and change them, as on the pages).

Orders are visible exactly when their customer is. Writing orders from outside is the
order import's job on the pages, so it is the import's rule here: managers and admins,
for customers they may change."""

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts import roles
from customers.models import Customer
from customers.selectors.customers import customer_get_for_user
from sales.filters.orders import OrderFilter, ProductFilter
from sales.models import Order, OrderLine, Product
from sales.selectors import orders as selectors
from sales.services import order_import
from sales.services import orders as order_services

from ..serializers.orders import OrderSerializer, OrderUpsertSerializer, ProductSerializer
from .base import ScopedViewSet, customer_tags_when_expanded, require


def products_for_managers() -> str:
    return _("Managers and admins change the product catalogue.")


LINES = Prefetch("lines", queryset=OrderLine.objects.order_by("pk"))


def order_list_for_user(*, user) -> QuerySet[Order]:
    return selectors.order_list_for_user(user=user).prefetch_related(LINES)


def order_get_for_user(*, user, pk, write: bool = False) -> Order:
    # Orders are changed by reference only (by-ref); reading one is the order page's rule.
    return selectors.order_get_for_user(user=user, pk=pk)


class OrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    api_app = "sales"
    list_for_user = order_list_for_user
    get_for_user = order_get_for_user
    serializer_class = OrderSerializer
    filterset_class = OrderFilter
    # The page's FilterSet has no defaults; the rows' relations are shown as ids (or expanded).
    filterset_has_defaults = False
    list_select_related = ()

    def get_queryset(self) -> QuerySet:
        return customer_tags_when_expanded(self, super().get_queryset())

    def check_permissions(self, request) -> None:
        super().check_permissions(request)
        if self.action in ("create", "by_ref"):
            require(
                order_import.can_import_orders(request.user),
                _("Orders are recorded from outside by managers and admins, as with the order import."),
            )

    def create(self, request, *args, **kwargs) -> Response:
        serializer = OrderSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        order = order_services.order_create(actor=request.user, **serializer.service_fields())
        return Response(self.get_serializer(order).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[OpenApiParameter("order_ref", str, OpenApiParameter.PATH, description="The shop's order number.")],
        request=OrderUpsertSerializer,
        responses={200: OrderSerializer, 201: OrderSerializer},
    )
    @action(detail=False, methods=["put"], url_path=r"by-ref/(?P<order_ref>[^/]{1,100})")
    def by_ref(self, request, order_ref: str) -> Response:
        """Create the customer's order with this reference (201) or replace its date, status,
        currency and lines (200). A customer out of the user's scope is a 404."""
        data = dict(request.data) if isinstance(request.data, dict) else {}
        customer = self._customer(data)
        if customer is not None:
            data["customer"] = customer.pk
        order = order_list_for_user(user=request.user).filter(customer=customer, order_ref=order_ref).first()
        serializer = OrderUpsertSerializer(order, data=data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        fields = serializer.service_fields()
        if order is None:
            order = order_services.order_create(actor=request.user, order_ref=order_ref, **fields)
            return Response(self.get_serializer(order).data, status=status.HTTP_201_CREATED)
        fields.pop("customer")
        order = order_services.order_update(order=order, actor=request.user, **fields)
        return Response(self.get_serializer(order_get_for_user(user=request.user, pk=order.pk)).data)

    def _customer(self, data: dict) -> Customer | None:
        """The body's customer (its id, or its external reference) through its access helper:
        404 unknown or out of scope, 403 read only. A missing or malformed id is left to
        the serializer (400 naming `customer`)."""
        value, ref = data.get("customer"), data.get("customer_ref")
        if value is None and isinstance(ref, str) and ref.strip():
            value = Customer.objects.filter(external_ref=ref.strip()).values_list("pk", flat=True).first()
            if value is None:
                raise Http404
        if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
            return None
        return customer_get_for_user(user=self.request.user, pk=int(value), write=True)


# --- products ----------------------------------------------------------------------------------
def product_list_for_user(*, user) -> QuerySet[Product]:
    # The catalogue is not owned: everyone who signs in sees it (the product list page).
    return selectors.product_list()


def product_get_for_user(*, user, pk, write: bool = False) -> Product:
    product = get_object_or_404(Product, pk=pk)
    if write and not roles.is_manager_or_admin(user):
        raise exceptions.PermissionDenied(products_for_managers())
    return product


class ProductViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    api_app = "sales"
    list_for_user = product_list_for_user
    get_for_user = product_get_for_user
    serializer_class = ProductSerializer
    filterset_class = ProductFilter
    filterset_has_defaults = False

    def check_permissions(self, request) -> None:
        super().check_permissions(request)
        if self.action == "create":
            require(roles.is_manager_or_admin(request.user), products_for_managers())

    def create(self, request, *args, **kwargs) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        product = order_services.product_create(actor=request.user, **serializer.validated_data)
        return Response(self.get_serializer(product).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs) -> Response:
        product = self.get_object()
        serializer = self.get_serializer(product, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        product = order_services.product_update(product=product, actor=request.user, **serializer.validated_data)
        return Response(self.get_serializer(product).data)
