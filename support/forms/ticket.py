"""Forms of the ticket page: the reply box and the small controls beside it."""

from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from customers.models import Tag

from ..models import Macro, Priority, Queue, Ticket, TicketMessage
from ..services.attachments import attachment_size_error


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented recipe); none is fine."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(MultipleFileField, self).clean(item, initial) for item in files]


class ReplyForm(forms.Form):
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 6}), max_length=50_000)
    kind = forms.ChoiceField(label=_("Kind"), choices=TicketMessage.Kind.choices, initial=TicketMessage.Kind.PUBLIC)
    macro = forms.ModelChoiceField(label=_("Macro"), queryset=Macro.objects.none(), required=False)

    def __init__(self, *args, macros=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Added here, not declared: a class attribute `files` would hide the form's uploaded files.
        self.fields["files"] = MultipleFileField(label=_("Files"), required=False)
        self.order_fields(["body", "kind", "files", "macro"])
        if macros is not None:
            cast(forms.ModelChoiceField, self.fields["macro"]).queryset = macros

    def clean_body(self):
        body = self.cleaned_data["body"].strip()
        if not body:
            raise forms.ValidationError(_("Write a message."))
        return body

    def clean_files(self):
        files = self.cleaned_data["files"]
        errors = [error for error in (attachment_size_error(upload) for upload in files) if error]
        if errors:
            raise forms.ValidationError(errors)
        return files


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Ticket.Status.choices)


class AssignForm(forms.Form):
    """`assignee` empty unassigns; `me` assigns the person posting."""

    assignee = forms.ModelChoiceField(label=_("Assignee"), queryset=User.objects.none(), required=False)
    me = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, agents=None, **kwargs):
        super().__init__(*args, **kwargs)
        if agents is not None:
            cast(forms.ModelChoiceField, self.fields["assignee"]).queryset = agents


class PriorityForm(forms.Form):
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)


class QueueForm(forms.Form):
    queue = forms.ModelChoiceField(label=_("Queue"), queryset=Queue.objects.filter(is_active=True))


class TagsForm(forms.Form):
    """Add the chosen tags, or remove one (`remove`)."""

    tags = forms.ModelMultipleChoiceField(label=_("Add tags"), queryset=Tag.objects.all(), required=False)
    remove = forms.ModelChoiceField(queryset=Tag.objects.all(), required=False, widget=forms.HiddenInput)

    def clean(self):
        cleaned = super().clean() or {}
        if not cleaned.get("tags") and not cleaned.get("remove"):
            raise forms.ValidationError(_("Choose a tag."))
        return cleaned


class MergeForm(forms.Form):
    target = forms.IntegerField(
        label=_("Merge into ticket number"), min_value=1, help_text=_("This ticket closes; its thread moves there.")
    )
