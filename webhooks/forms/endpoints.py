"""The endpoint form: name, URL (checked against the SSRF guard), events, active."""

from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext_lazy as _

from crm_project.events import EVENTS

from ..security import UnsafeUrl, url_check


class EndpointForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    url = forms.URLField(
        label=_("URL"),
        max_length=2000,
        assume_scheme="https",
        help_text=_("The receiver's address. Deliveries are POSTed here as JSON, signed (Standard Webhooks)."),
    )
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=lambda: [(name, f"{name} — {label}") for name, label in EVENTS.items()],
        widget=forms.CheckboxSelectMultiple,
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        try:
            url_check(url)
        except UnsafeUrl as refusal:
            raise forms.ValidationError(str(refusal)) from refusal
        return url
