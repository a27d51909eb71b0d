"""Tasks (the to-dos). The assignee is one the user may choose on the task form (reps:
themselves); a new task may concern a customer, deal or lead the user can see."""

from typing import Any

from rest_framework import serializers

from accounts.models import User
from customers.models import Customer
from sales.models import Deal, Lead, Task
from sales.selectors.todos import task_assignees_for

from .base import ApiSerializer, is_write, request_user


class TaskSerializer(ApiSerializer):
    owner: "serializers.PrimaryKeyRelatedField[User]" = serializers.PrimaryKeyRelatedField(
        read_only=True, help_text="The assignee."
    )
    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.none(), required=False, allow_null=True)
    deal = serializers.PrimaryKeyRelatedField(queryset=Deal.objects.none(), required=False, allow_null=True)
    lead = serializers.PrimaryKeyRelatedField(queryset=Lead.objects.none(), required=False, allow_null=True)
    # Sent back on an update, it makes a stale edit a 409 instead of overwriting.
    version = serializers.IntegerField(required=False)

    class Meta:
        model = Task
        fields = [
            "id",
            "title",
            "due_at",
            "done_at",
            "priority",
            "notes",
            "owner",
            "team",
            "customer",
            "deal",
            "lead",
            "created_by",
            "created_at",
            "version",
        ]
        read_only_fields = ["done_at", "team", "created_by", "created_at"]

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        user = request_user(self)
        if user is None or not is_write(self):
            return fields
        if "owner" in fields:
            fields["owner"] = serializers.PrimaryKeyRelatedField(queryset=task_assignees_for(user), required=False)
        if self.instance is not None:
            # What a task concerns is fixed once it exists (the task form cannot change it).
            for name in ("customer", "deal", "lead"):
                fields[name] = serializers.PrimaryKeyRelatedField(read_only=True)
        else:
            fields["customer"].queryset = Customer.objects.visible_to(user)
            fields["deal"].queryset = Deal.objects.visible_to(user)
            fields["lead"].queryset = Lead.objects.visible_to(user)
        return fields
