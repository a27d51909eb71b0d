"""Forms of the orders area: products, and the steps of the order import."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from imports.forms import UploadForm

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


class OrderImportUploadForm(UploadForm):
    """The import kit's upload form, with the order import's one option."""

    create_missing_customers = forms.BooleanField(
        label=_("Create missing customers"),
        required=False,
        help_text=_(
            "A row whose customer_ref matches no customer creates a bare customer (last name = the reference). "
            "Otherwise such rows are errors."
        ),
    )

    def options(self) -> dict:
        return {"create_missing_customers": self.cleaned_data["create_missing_customers"]}
