"""Forms of the customer import: upload, column mapping, and the final run."""

from typing import TYPE_CHECKING

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Hidden, Layout, Submit
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from ..models import CustomField
from ..services import imports

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        validators=[
            FileExtensionValidator(imports.EXTENSIONS, message=_("Upload a CSV (.csv) or Excel (.xlsx) file."))
        ],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "A CSV file (UTF-8 or UTF-16, separated by commas or semicolons) or an Excel .xlsx file, with the "
            "column names in the first row. At most %(size)s."
        ) % {"size": filesizeformat(settings.CRM_IMPORT_MAX_BYTES)}
        self.helper = FormHelper()
        self.helper.form_action = reverse("customers:import")
        self.helper.add_input(Submit("upload", _("Upload")))


class ImportMappingForm(forms.Form):
    """One select per column of the file ("col_<index>"); `mapping` holds the result."""

    def __init__(self, *args, table: imports.ImportTable, custom_fields: list[CustomField], mapping: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.table, self.custom_fields = table, custom_fields
        choices = imports.import_field_choices(custom_fields)
        for index, header in enumerate(table.headers):
            self.fields[f"col_{index}"] = forms.ChoiceField(
                label=header, choices=choices, required=False, initial=mapping.get(str(index), ""),
                help_text=_examples(table.samples(index)),
            )  # fmt: skip
        self.helper = FormHelper()
        self.helper.form_action = reverse("customers:import-mapping")
        self.helper.form_class = "form-horizontal"
        self.helper.label_class = "col-lg-3"
        self.helper.field_class = "col-lg-6"
        self.helper.add_input(Submit("check", _("Check the file")))

    def clean(self):
        chosen = {name.removeprefix("col_"): value for name, value in self.cleaned_data.items() if value}
        try:
            self.mapping = imports.import_mapping_clean(
                chosen, headers=self.table.headers, custom_fields=self.custom_fields
            )
        except imports.ImportMappingError as error:
            raise ValidationError(error.message) from None
        return self.cleaned_data


def _examples(samples: list[str]) -> "StrOrPromise":
    # Crispy renders help texts unescaped: escape the file's values here.
    if not samples:
        return _("No values in the first rows.")
    values = format_html_join(", ", "<code>{}</code>", ((sample[:40],) for sample in samples))
    return _("Examples: %(values)s") % {"values": values}


class ImportRunForm(forms.Form):
    skip_errors = forms.BooleanField(
        label=_("Skip bad rows"),
        required=False,
        help_text=_("Import the good rows and report the bad ones. Otherwise one bad row stops the whole import."),
    )

    def __init__(self, *args, has_errors: bool = False, rejected: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_action = reverse("customers:import-run")
        if rejected:
            self.helper.layout = Layout(Hidden("skip_errors", "on"))
            self.helper.add_input(Submit("import", _("Skip bad rows and import"), css_class="btn-warning"))
        else:
            self.helper.layout = Layout("skip_errors") if has_errors else Layout()
            self.helper.add_input(Submit("import", _("Import")))
