"""The sequence editor: the sequence's trigger and goal, and a formset of steps."""

from typing import cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from customers.models import Tag

from ..models import EmailTemplate, LeadForm, Segment, Sequence, SequenceStep


class SequenceForm(forms.ModelForm):
    class Meta:
        model = Sequence
        fields = ["name", "trigger", "segment", "form", "goal", "is_active"]
        labels = {"segment": _("Segment"), "form": _("Lead form")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["segment"]).queryset = Segment.objects.order_by("name")
        cast(forms.ModelChoiceField, self.fields["form"]).queryset = LeadForm.objects.order_by("name")

    def clean(self):
        data = super().clean() or {}
        trigger = data.get("trigger")
        if trigger == Sequence.Trigger.JOINS_SEGMENT and not data.get("segment"):
            self.add_error("segment", _("Choose the segment whose new members start the sequence."))
        if trigger == Sequence.Trigger.SUBMITS_FORM and not data.get("form"):
            self.add_error("form", _("Choose the form whose submissions start the sequence."))
        return data


class StepForm(forms.Form):
    kind = forms.ChoiceField(label=_("Step"), choices=SequenceStep.Kind.choices)
    wait_days = forms.IntegerField(label=_("Days"), min_value=0, max_value=365, required=False)
    template = forms.ModelChoiceField(
        label=_("Template"), queryset=EmailTemplate.objects.order_by("name"), required=False
    )
    tag = forms.ModelChoiceField(label=_("Tag"), queryset=Tag.objects.order_by("name"), required=False)
    task_title = forms.CharField(label=_("Task"), max_length=200, required=False)

    def clean(self):
        data = super().clean() or {}
        kind = data.get("kind")
        if kind == SequenceStep.Kind.WAIT and not data.get("wait_days"):
            self.add_error("wait_days", _("Say how many days to wait."))
        if kind == SequenceStep.Kind.SEND and not data.get("template"):
            self.add_error("template", _("Choose the template to send."))
        if kind == SequenceStep.Kind.TAG and not data.get("tag"):
            self.add_error("tag", _("Choose the tag to add."))
        if kind == SequenceStep.Kind.TASK and not data.get("task_title"):
            self.add_error("task_title", _("Name the task."))
        return data


class BaseStepFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        if not self.step_rows():
            raise ValidationError(_("A sequence needs at least one step."))

    def step_rows(self) -> list[dict]:
        return [row.cleaned_data for row in self.forms if row.cleaned_data and not row.cleaned_data.get("DELETE")]


# The stubs type the factory's result as the plain formset, not `formset`.
StepFormSet = cast(
    type[BaseStepFormSet], forms.formset_factory(StepForm, formset=BaseStepFormSet, extra=2, can_delete=True)
)
