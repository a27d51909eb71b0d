"""Forms for tasks: validation and cleaning only."""

from datetime import datetime, time, timedelta
from typing import cast

from crispy_forms.helper import FormHelper
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm_project.versioning import VersionedFormMixin

from ..models import Task
from ..selectors.todos import task_assignees_for

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


def default_due_at(now: datetime | None = None) -> datetime:
    """Today at 17:00 in the CRM's time zone, or tomorrow at 09:00 once that has passed."""
    now = timezone.localtime(now or timezone.now())
    zone = timezone.get_current_timezone()
    today_five = timezone.make_aware(datetime.combine(now.date(), time(17)), zone)
    if now < today_five:
        return today_five
    return timezone.make_aware(datetime.combine(now.date() + timedelta(days=1), time(9)), zone)


class TaskForm(VersionedFormMixin, forms.ModelForm):
    """Title, due, priority, notes and, for managers and admins, the assignee.

    Reps assign only to themselves (the field is left out); managers choose among
    the members of the teams they manage."""

    due_at = forms.DateTimeField(
        label=_("Due"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL)
    )

    class Meta:
        model = Task
        fields = ["title", "due_at", "priority", "owner", "notes"]
        labels = {"owner": _("Assignee")}
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        assignees = task_assignees_for(user)
        if self.instance.pk is None:
            self.fields["due_at"].initial = default_due_at()
            self.fields["owner"].initial = user.pk
        if assignees.exclude(pk=user.pk).exists():
            cast(forms.ModelChoiceField, self.fields["owner"]).queryset = assignees
            self.fields["owner"].required = True
            cast(forms.ModelChoiceField, self.fields["owner"]).empty_label = None
        else:
            del self.fields["owner"]

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields if name in self.cleaned_data}
