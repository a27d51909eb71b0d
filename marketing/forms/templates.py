"""The email template form: merge fields checked by the locked-down engine."""

from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext_lazy as _

from customers.models import CustomField

from .. import merge
from ..models import EmailTemplate


def merge_fields() -> list[str]:
    """The merge fields a template may use: the built-in ones and the custom fields' keys."""
    return [*merge.BUILTIN_FIELDS, *CustomField.objects.values_list("key", flat=True)]


class EmailTemplateForm(forms.ModelForm):
    class Meta:
        model = EmailTemplate
        fields = ["name", "subject", "html", "text"]
        widgets = {
            "html": forms.Textarea(attrs={"rows": 14, "class": "font-monospace"}),
            "text": forms.Textarea(attrs={"rows": 6, "class": "font-monospace"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.fields["html"].help_text = _(
            'Merge fields: %(fields)s, e.g. {{ first_name|default:"there" }}. '
            "Without {{ unsubscribe_url }}, an unsubscribe footer is added."
        ) % {"fields": ", ".join(merge_fields())}

    def clean(self):
        cleaned = super().clean() or {}
        allowed = merge_fields()
        for name in ("subject", "html", "text"):
            for error in merge.validate(cleaned.get(name) or "", fields=allowed):
                self.add_error(name, error)
        return cleaned


class PreviewForm(forms.Form):
    customer = forms.IntegerField(label=_("Customer (id)"), required=False, min_value=1)
