"""Forms of the agents' list pages: the bulk actions and the agent's "New ticket"."""

from typing import cast

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from customers.models import Customer, Tag

from ..filters.tickets import assignees_for
from ..models import Priority, Queue, Ticket
from ..selectors.tickets import queues_for_user

SMALL_SELECT = {"class": "form-select form-select-sm"}


class BulkTicketForm(forms.Form):
    ACTIONS = [
        ("assign", _("Assign to")),
        ("unassign", _("Unassign")),
        ("status", _("Set status")),
        ("queue", _("Move to queue")),
        ("tag", _("Add tag")),
    ]
    action = forms.ChoiceField(label=_("With selected"), choices=ACTIONS, widget=forms.Select(attrs=SMALL_SELECT))
    assignee = forms.ModelChoiceField(
        label=_("Assignee"), queryset=User.objects.none(), required=False, widget=forms.Select(attrs=SMALL_SELECT)
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", "---------"), *Ticket.Status.choices], required=False,
        widget=forms.Select(attrs=SMALL_SELECT),
    )  # fmt: skip
    queue = forms.ModelChoiceField(
        label=_("Queue"), queryset=Queue.objects.none(), required=False, widget=forms.Select(attrs=SMALL_SELECT)
    )
    tag = forms.ModelChoiceField(
        label=_("Tag"), queryset=Tag.objects.all(), required=False, widget=forms.Select(attrs=SMALL_SELECT)
    )
    ids = forms.TypedMultipleChoiceField(
        coerce=int, required=True, error_messages={"required": _("Select at least one ticket.")}
    )

    REQUIRED = {"assign": "assignee", "status": "status", "queue": "queue", "tag": "tag"}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["assignee"]).queryset = assignees_for(user)
        cast(forms.ModelChoiceField, self.fields["queue"]).queryset = queues_for_user(user).order_by("name")
        # The ids are checked against what the user may work, in the view.
        data = cast(QueryDict, self.data)
        cast(forms.ChoiceField, self.fields["ids"]).choices = (
            [(v, v) for v in data.getlist("ids") if str(v).isdigit()] if self.data else []
        )

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        needed = self.REQUIRED.get(cleaned.get("action", ""))
        if needed and not cleaned.get(needed):
            self.add_error(needed, _("Choose a value for this action."))
        return cleaned


class NewTicketForm(forms.Form):
    """A ticket an agent opens: for a customer picked on their page, or by email
    (the customer with that email, or a new one)."""

    CHANNELS = [(Ticket.Channel.PHONE, _("Phone call")), (Ticket.Channel.AGENT, _("Opened by an agent"))]

    customer = forms.ModelChoiceField(queryset=Customer.objects.none(), required=False, widget=forms.HiddenInput)
    email = forms.EmailField(label=_("Customer email"), required=False)
    name = forms.CharField(label=_("Customer name"), required=False, max_length=200,
                           help_text=_("For a new customer only."))  # fmt: skip
    queue = forms.ModelChoiceField(label=_("Queue"), queryset=Queue.objects.none())
    subject = forms.CharField(label=_("Subject"), max_length=255)
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 6}))
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices, initial=Priority.NORMAL)
    channel = forms.ChoiceField(
        label=_("Channel"), choices=CHANNELS, initial=Ticket.Channel.PHONE,
        help_text=_("A phone call records the customer's words; otherwise the message is yours."),
    )  # fmt: skip

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["customer"]).queryset = Customer.objects.visible_to(user)
        queues = queues_for_user(user).filter(is_active=True).order_by("name")
        cast(forms.ModelChoiceField, self.fields["queue"]).queryset = queues
        only = list(queues[:2])
        if len(only) == 1:  # an agent of one queue need not choose it
            self.fields["queue"].initial = only[0].pk

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        if not cleaned.get("customer") and not cleaned.get("email") and "email" not in self.errors:
            self.add_error("email", _("Enter the customer's email."))
        return cleaned
