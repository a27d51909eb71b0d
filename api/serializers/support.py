"""Tickets and their messages as the API returns them, and the bodies of its writes.

The writes validate what the ticket pages' forms validate (the New ticket form, the
reply box, the status/assignee/priority/queue controls); the views then call the same
services as the pages."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.models import User
from customers.models import Customer
from support.forms.tickets import NewTicketForm
from support.models import CsatSurvey, Priority, Queue, Ticket, TicketMessage
from support.selectors.ticket import assignable_agents
from support.selectors.tickets import queues_for_user

from .base import ApiSerializer
from .customers import CustomerSerializer


class TicketSerializer(ApiSerializer):
    expandable = {"customer": lambda: CustomerSerializer}

    class Meta:
        model = Ticket
        fields = [
            "id",
            "subject",
            "customer",
            "queue",
            "priority",
            "status",
            "assignee",
            "team",
            "channel",
            "tags",
            "merged_into",
            "created_at",
            "updated_at",
            "last_customer_message_at",
            "first_responded_at",
            "solved_at",
            "first_response_due",
            "resolution_due",
            "sla_next_due",
        ]
        read_only_fields = fields


class VisibleCustomerField(serializers.PrimaryKeyRelatedField):
    """A customer the requesting user may see (the New ticket form's choices)."""

    def get_queryset(self):
        return Customer.objects.visible_to(self.context["request"].user)


class WorkedQueueField(serializers.PrimaryKeyRelatedField):
    """An active queue the requesting user works or oversees."""

    def get_queryset(self):
        return queues_for_user(self.context["request"].user).filter(is_active=True)


class AssignableAgentField(serializers.PrimaryKeyRelatedField):
    """An agent of the ticket's queue, or its current assignee (the page's assignee menu)."""

    def get_queryset(self):
        return assignable_agents(ticket=self.context["ticket"])


class TicketCreateSerializer(serializers.Serializer):
    """The agent's "New ticket": a customer the user may see, or an email (that customer,
    or a new one); a queue the user works."""

    customer = VisibleCustomerField(queryset=Customer.objects.none(), required=False, allow_null=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    queue = WorkedQueueField(queryset=Queue.objects.none())
    subject = serializers.CharField(max_length=255)
    body = serializers.CharField()
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NORMAL)
    channel = serializers.ChoiceField(choices=NewTicketForm.CHANNELS, default=Ticket.Channel.PHONE)

    def validate(self, attrs: dict) -> dict:
        if not attrs.get("customer") and not attrs.get("email"):
            raise serializers.ValidationError({"email": _("Enter the customer's email.")})
        attrs.setdefault("customer", None)
        attrs.setdefault("email", "")
        attrs.setdefault("name", "")
        return attrs


class TicketUpdateSerializer(serializers.Serializer):
    """The ticket page's controls; each field given is one service call. Needs the
    ticket in its context (`{"ticket": ticket}`) for the assignee's choices."""

    status = serializers.ChoiceField(choices=Ticket.Status.choices, required=False)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    # An agent of the ticket's queue (or its current assignee); null unassigns.
    assignee = AssignableAgentField(queryset=User.objects.none(), required=False, allow_null=True)
    queue = serializers.PrimaryKeyRelatedField(queryset=Queue.objects.filter(is_active=True), required=False)


class TicketMessageSerializer(ApiSerializer):
    internal = serializers.BooleanField(source="is_internal", read_only=True)

    class Meta:
        model = TicketMessage
        fields = [
            "id",
            "ticket",
            "kind",
            "internal",
            "author",
            "from_customer",
            "from_address",
            "from_name",
            "body",
            "created_at",
        ]
        read_only_fields = fields


class TicketMessageCreateSerializer(serializers.Serializer):
    """The reply box: a reply to the customer (mailed), or an internal note."""

    body = serializers.CharField(max_length=50_000)
    internal = serializers.BooleanField(default=False)

    def validate_body(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError(_("Write a message."))
        return value.strip()


class CsatSurveySerializer(ApiSerializer):
    """A satisfaction survey of a ticket: sent when it was solved, answered once (score 1–5)."""

    class Meta:
        model = CsatSurvey
        fields = ["id", "ticket", "agent", "queue", "sent_at", "score", "comment", "answered_at"]
        read_only_fields = fields
