"""The form that creates a personal access token (profile page and its own page)."""

import secrets

from django import forms
from django.conf import settings
from django.core.validators import MaxValueValidator
from django.utils.translation import gettext_lazy as _

from ..models import APPS, READ, WRITE

ACCESS_CHOICES = [(READ, _("Read")), (WRITE, _("Read and write"))]


class ApiTokenForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("What will use it, e.g. “Shop sync”."))
    access = forms.ChoiceField(label=_("Access"), choices=ACCESS_CHOICES, initial=READ, widget=forms.RadioSelect)
    apps = forms.MultipleChoiceField(
        label=_("Apps"),
        choices=list(APPS.items()),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every app you can use."),
    )
    expires_in_days = forms.IntegerField(label=_("Expires in (days)"), min_value=1)
    # One random value per form shown: reloading the page that shows the new token posts
    # the form again, and must not make a second token.
    submission = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["submission"].initial = secrets.token_urlsafe(16)
        # From settings at each form, not at import: the limits are configurable.
        field = self.fields["expires_in_days"]
        field.initial = settings.CRM_API_TOKEN_DEFAULT_DAYS
        field.validators.append(MaxValueValidator(settings.CRM_API_TOKEN_MAX_DAYS))
        field.widget.attrs.update(min=1, max=settings.CRM_API_TOKEN_MAX_DAYS)

    def scopes(self) -> list[str]:
        """Write access includes reading: a token that writes must see what it wrote."""
        return [READ, WRITE] if self.cleaned_data["access"] == WRITE else [READ]
