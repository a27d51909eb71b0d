"""Deals, pipelines and stages. Writable relations offer only what the user may pick
on the deal form: customers they may change, and the owner for managers and admins."""

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts import roles
from accounts.models import User
from accounts.selectors import assignable_users
from customers.models import Customer
from sales.models import Deal, Pipeline, Stage

from .base import ApiSerializer, is_write, request_user
from .customers import CustomerSerializer


class StageSerializer(ApiSerializer):
    class Meta:
        model = Stage
        fields = ["id", "pipeline", "name", "position", "probability", "is_won", "is_lost"]


class PipelineSerializer(ApiSerializer):
    stages = StageSerializer(many=True, read_only=True)

    class Meta:
        model = Pipeline
        fields = ["id", "name", "is_default", "position", "stuck_after_days", "stages"]


class DealSerializer(ApiSerializer):
    expandable = {"customer": lambda: CustomerSerializer, "stage": lambda: StageSerializer}
    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.none())
    pipeline = serializers.PrimaryKeyRelatedField(queryset=Pipeline.objects.all(), required=False)
    stage = serializers.PrimaryKeyRelatedField(
        queryset=Stage.objects.all(), required=False, help_text=_("Empty: the pipeline's first stage.")
    )
    owner: "serializers.PrimaryKeyRelatedField[User]" = serializers.PrimaryKeyRelatedField(read_only=True)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0, required=False)
    # Sent back on an update, it makes a stale edit a 409 instead of overwriting.
    version = serializers.IntegerField(required=False)

    class Meta:
        model = Deal
        fields = [
            "id",
            "title",
            "customer",
            "company",
            "pipeline",
            "stage",
            "status",
            "amount",
            "currency",
            "expected_close_date",
            "lost_reason",
            "owner",
            "team",
            "stage_changed_at",
            "closed_at",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = [
            "company",
            "status",
            "lost_reason",
            "team",
            "stage_changed_at",
            "closed_at",
            "created_at",
            "updated_at",
        ]

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        user = request_user(self)
        if user is None or not is_write(self):
            return fields
        if "customer" in fields:
            fields["customer"].queryset = Customer.objects.editable_by(user)
        if roles.is_manager_or_admin(user) and "owner" in fields:
            fields["owner"] = serializers.PrimaryKeyRelatedField(queryset=assignable_users(), required=False)
        if self.instance is not None:
            # Customer, pipeline and stage are fixed once the deal exists: the stage moves with /move/.
            for name in ("customer", "pipeline", "stage"):
                fields[name] = serializers.PrimaryKeyRelatedField(read_only=True)
            if self.instance.status == Deal.Status.LOST:
                fields["lost_reason"] = serializers.CharField(max_length=200, required=False)
        return fields

    def validate_currency(self, value: str) -> str:
        currency = value.strip().upper()
        if len(currency) != 3 or not currency.isalpha():
            raise serializers.ValidationError(_("Use the three-letter currency code, e.g. EUR."))
        return currency

    def validate_lost_reason(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError(_("Say why the deal was lost."))
        return value.strip()

    def validate(self, attrs: dict) -> dict:
        stage, pipeline = attrs.get("stage"), attrs.get("pipeline")
        if stage is not None and pipeline is not None and stage.pipeline_id != pipeline.pk:
            raise serializers.ValidationError({"stage": _("This stage belongs to another pipeline.")})
        if self.instance is not None and "amount" in attrs and self.instance.lines.exists():
            raise serializers.ValidationError(
                {"amount": _("The amount is the sum of the deal's products; change those instead.")}
            )
        return attrs


class DealMoveSerializer(serializers.Serializer):
    """POST /deals/<id>/move/: a stage of the deal's own pipeline (a lost stage needs a reason)."""

    stage = serializers.PrimaryKeyRelatedField(queryset=Stage.objects.none())
    lost_reason = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)

    def __init__(self, *args: Any, deal: Deal | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if deal is not None:
            self.fields["stage"] = serializers.PrimaryKeyRelatedField(
                queryset=Stage.objects.filter(pipeline_id=deal.pipeline_id)
            )

    def validate(self, attrs: dict) -> dict:
        attrs["lost_reason"] = attrs.get("lost_reason", "").strip()
        if attrs["stage"].is_lost and not attrs["lost_reason"]:
            raise serializers.ValidationError({"lost_reason": _("Say why the deal was lost.")})
        return attrs


class DealLoseSerializer(serializers.Serializer):
    """POST /deals/<id>/lose/: why the deal was lost."""

    lost_reason = serializers.CharField(max_length=200)

    def validate_lost_reason(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError(_("Say why the deal was lost."))
        return value.strip()
