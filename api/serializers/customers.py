from rest_framework import serializers

from customers.models import Company, Customer

from .base import ApiSerializer


class CompanySerializer(ApiSerializer):
    class Meta:
        model = Company
        fields = ["id", "name"]


class CustomerSerializer(ApiSerializer):
    expandable = {"company": lambda: CompanySerializer}
    # Sent back on an update, it makes a stale edit a 409 instead of overwriting.
    version = serializers.IntegerField(required=False)

    class Meta:
        model = Customer
        fields = [
            "id",
            "first_name",
            "last_name",
            "email",
            "phone",
            "company",
            "job_title",
            "lifecycle_stage",
            "source",
            "external_ref",
            "email_consent",
            "notes",
            "owner",
            "team",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = ["email_consent", "team", "created_at", "updated_at", "owner"]
