from datetime import timedelta

from django import forms
from django.utils.translation import gettext_lazy as _

from .db import crm_today

MAX_WINDOW_DAYS = 3650


class RfmRunForm(forms.Form):
    """A manager's "Run now": the as-of date and an optional window."""

    as_of = forms.DateField(
        label=_("As of"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Orders before this date count. Empty: today (pick tomorrow to include today's orders)."),
    )
    window_days = forms.IntegerField(
        label=_("Window (days)"),
        required=False,
        min_value=1,
        max_value=MAX_WINDOW_DAYS,
        help_text=_("Only orders in the last N days before the as-of date. Empty: all history."),
    )

    def clean_as_of(self):
        as_of = self.cleaned_data["as_of"]
        if as_of and as_of > crm_today() + timedelta(days=1):
            raise forms.ValidationError(_("The as-of date cannot be later than tomorrow."))
        return as_of

    def task_kwargs(self) -> dict:
        as_of = self.cleaned_data["as_of"]
        return {"as_of": as_of.isoformat() if as_of else None, "window_days": self.cleaned_data["window_days"]}
