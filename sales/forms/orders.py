"""Forms of the orders area: products, and the steps of the order import."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Hidden, Layout, Submit
from django import forms
from django.conf import settings
from django.core.validators import FileExtensionValidator
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ..models import Product


class ProductForm(forms.ModelForm):
    class Meta:
        model = Product
        fields = ["name", "sku", "price", "currency", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", _("Save")))

    def clean_currency(self):
        currency = self.cleaned_data["currency"].strip().upper()
        if len(currency) != 3 or not currency.isalpha():
            raise forms.ValidationError(_("A currency is a 3-letter code such as EUR."))
        return currency


class OrderImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("File"), validators=[FileExtensionValidator(["csv"], message=_("Upload a CSV (.csv) file."))]
    )
    create_missing_customers = forms.BooleanField(
        label=_("Create missing customers"),
        required=False,
        help_text=_(
            "A row whose customer_ref matches no customer creates a bare customer (last name = the reference). "
            "Otherwise such rows are errors."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "A CSV file (UTF-8, separated by commas or semicolons) with the column names in the first row. "
            "At most %(size)s."
        ) % {"size": filesizeformat(settings.CRM_IMPORT_MAX_BYTES)}
        self.helper = FormHelper()
        self.helper.form_action = reverse("sales:order-import")
        self.helper.add_input(Submit("upload", _("Upload and check")))


class OrderImportRunForm(forms.Form):
    skip_errors = forms.BooleanField(
        label=_("Skip bad rows"),
        required=False,
        help_text=_("Import the good rows and report the bad ones. Otherwise one bad row stops the whole import."),
    )

    def __init__(self, *args, has_errors: bool = False, rejected: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_action = reverse("sales:order-import-run")
        if rejected:
            self.helper.layout = Layout(Hidden("skip_errors", "on"))
            self.helper.add_input(Submit("import", _("Skip bad rows and import"), css_class="btn-warning"))
        else:
            self.helper.layout = Layout("skip_errors") if has_errors else Layout()
            self.helper.add_input(Submit("import", _("Import")))
