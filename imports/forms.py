"""The forms every import shares: upload, column mapping and the final run."""

from collections.abc import Callable
from typing import TYPE_CHECKING

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Hidden, Layout, Submit
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator
from django.template.defaultfilters import filesizeformat
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from .limits import limits
from .readers import ImportFileError
from .services import ImportTable

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class UploadForm(forms.Form):
    """The file; an import adds its own options as more fields and returns them from options()."""

    file = forms.FileField(label=_("File"))

    def __init__(self, *args, action: str, extensions: tuple[str, ...], button: "StrOrPromise", **kwargs):
        super().__init__(*args, **kwargs)
        csv_only = extensions == ("csv",)
        message = _("Upload a CSV (.csv) file.") if csv_only else _("Upload a CSV (.csv) or Excel (.xlsx) file.")
        self.fields["file"].validators = [FileExtensionValidator(list(extensions), message=message)]
        lim = limits()
        described = (
            _("A CSV file (UTF-8, separated by commas or semicolons) with the column names in the first row.")
            if csv_only
            else _(
                "A CSV file (UTF-8 or UTF-16, separated by commas or semicolons) or an Excel .xlsx file, with the "
                "column names in the first row."
            )
        )
        self.fields["file"].help_text = " ".join(
            [
                str(described),
                _("At most %(size)s, %(rows)s rows and %(columns)d columns.")
                % {"size": filesizeformat(lim.max_bytes), "rows": f"{lim.max_rows:,}", "columns": lim.max_columns},
            ]
        )
        self.helper = FormHelper()
        self.helper.form_action = action
        self.helper.add_input(Submit("upload", button))

    def options(self) -> dict:
        return {}


class MappingForm(forms.Form):
    """One select per column of the file ("col_<index>"); `mapping` holds the result."""

    def __init__(
        self, *args, table: ImportTable, choices: list, mapping: dict, clean_mapping: Callable[[dict], dict],
        action: str, **kwargs,
    ):  # fmt: skip
        super().__init__(*args, **kwargs)
        self.table, self.clean_mapping = table, clean_mapping
        for index, header in enumerate(table.headers):
            self.fields[f"col_{index}"] = forms.ChoiceField(
                label=header, choices=choices, required=False, initial=mapping.get(str(index), ""),
                help_text=_examples(table.samples(index)),
            )  # fmt: skip
        self.helper = FormHelper()
        self.helper.form_action = action
        self.helper.form_class = "form-horizontal"
        self.helper.label_class = "col-lg-3"
        self.helper.field_class = "col-lg-6"
        self.helper.add_input(Submit("check", _("Check the file")))

    def clean(self):
        chosen = {name.removeprefix("col_"): value for name, value in self.cleaned_data.items() if value}
        try:
            self.mapping = self.clean_mapping(chosen)
        except ImportFileError as error:
            raise ValidationError(error.message) from None
        return self.cleaned_data


def _examples(samples: list[str]) -> "StrOrPromise":
    # Crispy renders help texts unescaped: escape the file's values here.
    if not samples:
        return _("No values in the first rows.")
    values = format_html_join(", ", "<code>{}</code>", ((sample[:40],) for sample in samples))
    return _("Examples: %(values)s") % {"values": values}


class RunForm(forms.Form):
    skip_errors = forms.BooleanField(
        label=_("Skip bad rows"),
        required=False,
        help_text=_("Import the good rows and report the bad ones. Otherwise one bad row stops the whole import."),
    )

    def __init__(self, *args, action: str, has_errors: bool = False, rejected: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_action = action
        if rejected:
            self.helper.layout = Layout(Hidden("skip_errors", "on"))
            self.helper.add_input(Submit("import", _("Skip bad rows and import"), css_class="btn-warning"))
        else:
            self.helper.layout = Layout("skip_errors") if has_errors else Layout()
            self.helper.add_input(Submit("import", _("Import")))
