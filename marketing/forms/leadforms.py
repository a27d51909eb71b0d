"""Forms for lead-capture forms: the editor (settings + a formset of fields) and
the public form a visitor fills, built from the LeadForm's fields."""

from typing import cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from ..models import LeadForm
from ..services.leadforms import HONEYPOT

TARGET_CHOICES = [
    ("email", _("Email")),
    ("first_name", _("First name")),
    ("last_name", _("Last name")),
    ("company", _("Company")),
    ("phone", _("Phone")),
    ("message", _("Message (lead notes)")),
]


class LeadFormForm(forms.ModelForm):
    class Meta:
        model = LeadForm
        fields = ["name", "slug", "ask_consent", "consent_text", "thanks_text", "allowed_origins", "is_published"]
        widgets = {"allowed_origins": forms.Textarea(attrs={"rows": 3})}

    def clean_allowed_origins(self):
        lines = [line.strip().rstrip("/") for line in self.cleaned_data["allowed_origins"].splitlines() if line.strip()]
        for line in lines:
            if not line.startswith(("https://", "http://")) or "/" in line.split("://", 1)[1]:
                raise ValidationError(
                    _("“%(origin)s” is not an origin such as https://www.example.com."), params={"origin": line}
                )
        return "\n".join(lines)


class FieldRowForm(forms.Form):
    target = forms.ChoiceField(label=_("Field"), choices=TARGET_CHOICES)
    label = forms.CharField(label=_("Label"), max_length=100)
    required = forms.BooleanField(label=_("Required"), required=False)


class BaseFieldFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        targets = [row.cleaned_data["target"] for row in self._kept()]
        if "email" not in targets:
            raise ValidationError(_("A form needs an email field."))
        if len(targets) != len(set(targets)):
            raise ValidationError(_("Each field may appear once."))

    def _kept(self):
        return [row for row in self.forms if row.cleaned_data and not row.cleaned_data.get("DELETE")]

    def field_rows(self) -> list[dict]:
        """The LeadForm.fields JSON: the input name is the target, so plain HTML can post `email`, `first_name`, …"""
        return [
            {
                "name": row.cleaned_data["target"],
                "label": row.cleaned_data["label"],
                "target": row.cleaned_data["target"],
                "required": row.cleaned_data["target"] == "email" or row.cleaned_data["required"],
            }
            for row in self._kept()
        ]


# The stubs type the factory's result as the plain formset, not `formset`.
FieldFormSet = cast(
    type[BaseFieldFormSet], forms.formset_factory(FieldRowForm, formset=BaseFieldFormSet, extra=2, can_delete=True)
)


class PublicLeadForm(forms.Form):
    """What a visitor fills: the configured fields, consent, a hidden render token and a honeypot."""

    token = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, leadform: LeadForm, **kwargs):
        super().__init__(*args, **kwargs)
        self.leadform = leadform
        for row in leadform.fields:
            self.fields[row["name"]] = _public_field(row)
        if leadform.ask_consent:
            self.fields["consent"] = forms.BooleanField(label=leadform.consent_text, required=False)
        # Hidden from people by CSS and labelled for screen readers to leave empty; bots fill it.
        self.fields[HONEYPOT] = forms.CharField(
            label=_("Leave this empty"),
            required=False,
            widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
        )

    def visible_rows(self):
        return [self[name] for name in self.fields if name not in ("token", HONEYPOT)]

    def submitted_data(self) -> dict:
        return {row["name"]: self.cleaned_data.get(row["name"], "") for row in self.leadform.fields}


def _public_field(row: dict) -> forms.Field:
    required = bool(row.get("required")) or row["target"] == "email"
    if row["target"] == "email":
        return forms.EmailField(label=row["label"], required=True, max_length=254)
    if row["target"] == "message":
        return forms.CharField(
            label=row["label"], required=required, max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
        )
    return forms.CharField(label=row["label"], required=required, max_length=100)
