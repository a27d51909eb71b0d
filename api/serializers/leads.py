"""Leads, their status and their conversion. The owner is writable for managers and
admins only (as on the lead form); everything a conversion may reuse is in the user's scope."""

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts import roles
from accounts.models import User
from accounts.selectors import assignable_users
from customers.models import Company, Customer
from sales.models import Lead, Pipeline
from sales.services.leads import NEW_COMPANY

from .base import ApiSerializer, is_write, request_user


class LeadSerializer(ApiSerializer):
    owner: "serializers.PrimaryKeyRelatedField[User]" = serializers.PrimaryKeyRelatedField(read_only=True)
    # Sent back on an update, it makes a stale edit a 409 instead of overwriting.
    version = serializers.IntegerField(required=False)

    class Meta:
        model = Lead
        fields = [
            "id",
            "first_name",
            "last_name",
            "email",
            "phone",
            "company_name",
            "source",
            "status",
            "unqualified_reason",
            "notes",
            "owner",
            "team",
            "customer",
            "deal",
            "created_at",
            "updated_at",
            "converted_at",
            "version",
        ]
        read_only_fields = [
            "status",
            "unqualified_reason",
            "team",
            "customer",
            "deal",
            "created_at",
            "updated_at",
            "converted_at",
        ]

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        user = request_user(self)
        if user is not None and is_write(self) and roles.is_manager_or_admin(user) and "owner" in fields:
            # Empty on a new lead: the assignment rules choose.
            fields["owner"] = serializers.PrimaryKeyRelatedField(
                queryset=assignable_users(), required=False, allow_null=True
            )
        return fields


class LeadStatusSerializer(serializers.Serializer):
    """POST /leads/<id>/status/: new, contacted, qualified, or unqualified with a reason."""

    status = serializers.ChoiceField(choices=[s.value for s in Lead.Status if s != Lead.Status.CONVERTED])
    reason = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)


@extend_schema_field({"oneOf": [{"type": "integer"}, {"type": "string", "enum": [NEW_COMPANY]}], "nullable": True})
class CompanyChoiceField(serializers.Field):
    """A company the user can see (by id), "new" (one named after the lead's company) or null."""

    default_error_messages = {
        "invalid": _("Give a company's id, “new” or null."),
        "does_not_exist": _("No such company."),
    }

    def to_internal_value(self, data: Any) -> Company | str:
        if data == NEW_COMPANY:
            return NEW_COMPANY
        if isinstance(data, bool) or not isinstance(data, int | str) or not str(data).isdigit():
            self.fail("invalid")
        company = Company.objects.visible_to(self.context["request"].user).filter(pk=int(data)).first()
        if company is None:
            self.fail("does_not_exist")
        return company

    def to_representation(self, value: Any) -> Any:
        return value


class LeadConvertSerializer(serializers.Serializer):
    """The lead page's conversion: a new customer (or an existing one the user may change),
    a company, and optionally a deal."""

    customer = serializers.PrimaryKeyRelatedField(
        queryset=Customer.objects.none(),
        required=False,
        allow_null=True,
        help_text=_("An existing customer to attach the lead to; empty: a new customer."),
    )
    company = CompanyChoiceField(required=False, allow_null=True, help_text=_("A company id, “new” or null."))
    create_deal = serializers.BooleanField(required=False, default=False)
    pipeline = serializers.PrimaryKeyRelatedField(queryset=Pipeline.objects.all(), required=False, allow_null=True)
    deal_title = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
    deal_amount = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal("0"), required=False, default=Decimal("0.00")
    )
    expected_close_date = serializers.DateField(required=False, allow_null=True, default=None)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["customer"] = serializers.PrimaryKeyRelatedField(
                queryset=Customer.objects.editable_by(request.user),
                required=False,
                allow_null=True,
                help_text=self.fields["customer"].help_text,
            )

    def validate(self, attrs: dict) -> dict:
        if attrs.get("create_deal") and not attrs.get("pipeline"):
            raise serializers.ValidationError({"pipeline": _("Choose the deal's pipeline.")})
        return attrs

    def service_arguments(self) -> dict:
        data = self.validated_data
        return {
            "existing_customer": data.get("customer"),
            "company": data.get("company"),
            "create_deal": data["create_deal"],
            "pipeline": data.get("pipeline"),
            "deal_title": data["deal_title"],
            "deal_amount": data["deal_amount"] or Decimal("0.00"),
            "expected_close_date": data["expected_close_date"],
        }
