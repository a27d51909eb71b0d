"""Campaign forms: the campaign itself, and the time to send it."""

from crispy_forms.helper import FormHelper
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..models import Campaign

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class CampaignForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = [
            "name", "template", "include_segments", "exclude_segments",
            "throttle_per_minute", "attribution_days", "holdout_percent",
        ]  # fmt: skip
        widgets = {
            "include_segments": forms.SelectMultiple(attrs={"size": 6}),
            "exclude_segments": forms.SelectMultiple(attrs={"size": 6}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean_holdout_percent(self):
        value = self.cleaned_data["holdout_percent"]
        if value != 0 and not 5 <= value <= 10:
            raise forms.ValidationError(_("Use 0 (no holdout) or a share from 5 to 10%."))
        return value

    def clean_throttle_per_minute(self):
        value = self.cleaned_data["throttle_per_minute"]
        if value < 1:
            raise forms.ValidationError(_("Send at least one message a minute."))
        return value


class ScheduleForm(forms.Form):
    send_at = forms.DateTimeField(
        label=_("Send at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL)
    )

    def clean_send_at(self):
        value = self.cleaned_data["send_at"]
        if value <= timezone.now():
            raise forms.ValidationError(_("Choose a time in the future."))
        return value
