"""Orders with their lines, and the product catalogue."""

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from customers.models import Customer
from sales.models import Order, OrderLine, Product
from sales.services.orders import OrderLineData

from .base import ApiSerializer, is_write, request_user
from .customers import CustomerSerializer


class ProductSerializer(ApiSerializer):
    class Meta:
        model = Product
        fields = ["id", "name", "sku", "price", "currency", "is_active"]

    def validate_currency(self, value: str) -> str:
        currency = value.strip().upper()
        if len(currency) != 3 or not currency.isalpha():
            raise serializers.ValidationError(_("A currency is a 3-letter code such as EUR."))
        return currency


class OrderLineSerializer(serializers.ModelSerializer):
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all(), required=False, allow_null=True)
    description = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default="", help_text=_("Empty: the product's name.")
    )
    quantity = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=Decimal("0.01"))
    unit_price = serializers.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        model = OrderLine
        fields = ["id", "product", "description", "quantity", "unit_price", "total"]
        read_only_fields = ["id", "total"]


class OrderSerializer(ApiSerializer):
    """An order; its total is the sum of its lines. Written for a customer the user may change."""

    expandable = {"customer": lambda: CustomerSerializer}
    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.none())
    lines = OrderLineSerializer(many=True, allow_empty=False)

    class Meta:
        model = Order
        fields = [
            "id",
            "customer",
            "order_ref",
            "ordered_at",
            "status",
            "currency",
            "total",
            "deal",
            "source",
            "created_at",
            "lines",
        ]
        read_only_fields = ["total", "deal", "source", "created_at"]

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        user = request_user(self)
        if user is not None and is_write(self) and "customer" in fields:
            fields["customer"].queryset = Customer.objects.editable_by(user)
        return fields

    def validate_currency(self, value: str) -> str:
        return ProductSerializer.validate_currency(self, value)  # type: ignore[arg-type]  # the same rule, no state

    def service_fields(self) -> dict:
        """The validated order for order_create/order_update, its lines as OrderLineData."""
        fields = dict(self.validated_data)
        fields["lines"] = [OrderLineData(**line) for line in fields["lines"]]
        return fields


class OrderUpsertSerializer(OrderSerializer):
    """PUT /orders/by-ref/<order_ref>/: the reference is the URL's; the customer (by id, or by
    the shop's own `customer_ref`, the customer's external reference) finds the order."""

    customer_ref = serializers.CharField(
        write_only=True, required=False, help_text=_("In place of `customer`: the customer's external reference.")
    )

    class Meta(OrderSerializer.Meta):
        fields = [*OrderSerializer.Meta.fields, "customer_ref"]
        read_only_fields = [*OrderSerializer.Meta.read_only_fields, "order_ref"]

    def service_fields(self) -> dict:
        fields = super().service_fields()
        fields.pop("customer_ref", None)
        return fields
