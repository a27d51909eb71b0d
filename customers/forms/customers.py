"""Forms for customers and companies: validation and cleaning only."""

from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import PurePath
from typing import Any, cast

from crispy_forms.helper import FormHelper
from django import forms
from django.conf import settings
from django.http import QueryDict
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import roles
from accounts.models import User
from accounts.selectors import assignable_users
from crm_project.versioning import VersionedFormMixin

from .. import registry
from ..models import Company, Customer, CustomField, Interaction, Tag


def clean_country_code(value: str) -> str:
    country = value.strip().upper()
    if country and (len(country) != 2 or not country.isalpha()):
        raise forms.ValidationError(_("Use the two-letter country code, e.g. DE or TR."))
    return country


def clean_domain(value: str) -> str:
    """A company's domain as people paste it (a URL, www.) reduced to the bare name."""
    domain = value.strip().lower()
    for prefix in ("https://", "http://", "www."):
        domain = domain.removeprefix(prefix)
    return domain.rstrip("/")


class CrispyMixin:
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class CustomerForm(CrispyMixin, VersionedFormMixin, forms.ModelForm):
    company_name = forms.CharField(
        label=_("Company"),
        required=False,
        max_length=200,
        help_text=_("Pick an existing company or type a new name to create it."),
        widget=forms.TextInput(attrs={"list": "company-options", "autocomplete": "off"}),
    )
    tags = forms.ModelMultipleChoiceField(
        label=_("Tags"), queryset=Tag.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )
    confirm_duplicate = forms.BooleanField(
        label=_("This is a different person: create anyway"), required=False, widget=forms.CheckboxInput
    )

    class Meta:
        model = Customer
        fields = [
            "first_name",
            "last_name",
            "email",
            "phone",
            "job_title",
            "lifecycle_stage",
            "source",
            "street",
            "city",
            "postal_code",
            "country",
            "external_ref",
            "owner",
            "notes",
        ]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user, custom_fields: list[CustomField], **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.custom_fields = custom_fields
        self.duplicates: list[Customer] = []
        if self.instance.pk and self.instance.company_id:
            self.fields["company_name"].initial = self.instance.company.name
        if self.instance.pk:
            self.fields["tags"].initial = list(self.instance.tags.all())
            del self.fields["confirm_duplicate"]
        if roles.is_manager_or_admin(user):
            cast(forms.ModelChoiceField, self.fields["owner"]).queryset = assignable_users()
        else:
            del self.fields["owner"]
        for field in custom_fields:
            self.fields[f"cf_{field.key}"] = custom_form_field(field)
            self.fields[f"cf_{field.key}"].initial = self.instance.custom_data.get(field.key)

    def clean_country(self):
        return clean_country_code(self.cleaned_data["country"])

    def clean_external_ref(self):
        ref = self.cleaned_data["external_ref"].strip()
        clash = Customer.all_objects.filter(external_ref=ref).exclude(pk=self.instance.pk)
        if ref and clash.exists():
            raise forms.ValidationError(_("Another customer already has this external reference."))
        return ref

    def clean_company_name(self):
        name = self.cleaned_data["company_name"].strip()
        if not name:
            return None
        existing = Company.objects.visible_to(self.user).filter(name__iexact=name).first()
        return existing or name

    def clean(self):
        from ..selectors.customers import customer_possible_duplicates

        super().clean()
        cleaned = self.cleaned_data
        if self.instance.pk or cleaned.get("confirm_duplicate") or self.errors:
            return cleaned
        company = cleaned.get("company_name")
        self.duplicates = list(
            customer_possible_duplicates(
                user=self.user,
                email=cleaned.get("email", ""),
                phone=cleaned.get("phone", ""),
                first_name=cleaned.get("first_name", ""),
                last_name=cleaned.get("last_name", ""),
                company=company if isinstance(company, Company) else None,
            )
        )
        if self.duplicates:
            raise forms.ValidationError(
                _(
                    "This looks like a customer who already exists. Open the existing record, or tick "
                    "“create anyway” if this is a different person."
                ),
                code="duplicate",
            )
        return cleaned

    def custom_data(self) -> dict:
        data = dict(self.instance.custom_data or {})
        for field in self.custom_fields:
            value = self.cleaned_data.get(f"cf_{field.key}")
            data[field.key] = custom_value_to_json(value)
        return {key: value for key, value in data.items() if value not in (None, "")}

    def service_fields(self) -> dict:
        fields = {name: self.cleaned_data[name] for name in self.Meta.fields if name in self.cleaned_data}
        fields["custom_data"] = self.custom_data()
        return fields

    def tag_changes(self) -> tuple[list[Tag], list[Tag]]:
        """The tags ticked and unticked in this form, against what it showed when opened."""
        chosen = set(self.cleaned_data["tags"])
        opened = self.opened_values()
        shown_ids = (
            set(opened["tags"])
            if opened and "tags" in opened
            else {tag.pk for tag in self.fields["tags"].initial or []}
        )
        shown = set(Tag.objects.filter(pk__in=shown_ids))
        return sorted(chosen - shown, key=str), sorted(shown - chosen, key=str)


def custom_form_field(field: CustomField) -> forms.Field:
    common: dict[str, Any] = {"label": field.label, "required": field.required}
    if field.field_type == CustomField.Type.NUMBER:
        return forms.DecimalField(**common)
    if field.field_type == CustomField.Type.DATE:
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if field.field_type == CustomField.Type.CHOICE:
        return forms.ChoiceField(choices=[("", "—")] + [(c, c) for c in field.choice_list], **common)
    return forms.CharField(max_length=500, **common)


def custom_value_to_json(value):
    """Custom values are stored as JSON: dates as ISO strings, numbers as strings of decimals."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def parse_custom_value(field: CustomField, raw: str):
    """Parse text (imports) into the JSON value stored for the field; ValueError if invalid."""
    raw = (raw or "").strip()
    if not raw:
        return None
    if field.field_type == CustomField.Type.NUMBER:
        try:
            return str(Decimal(raw.replace(",", ".")))
        except InvalidOperation as exc:
            raise ValueError(_("“%(value)s” is not a number.") % {"value": raw}) from exc
    if field.field_type == CustomField.Type.DATE:
        return date.fromisoformat(raw).isoformat()
    if field.field_type == CustomField.Type.CHOICE and raw not in field.choice_list:
        raise ValueError(_("“%(value)s” is not one of the choices.") % {"value": raw})
    return raw


class InteractionForm(CrispyMixin, forms.ModelForm):
    kind = forms.ChoiceField(label=_("Type"), choices=[(k.value, k.label) for k in Interaction.LOGGABLE_KINDS])
    occurred_at = forms.DateTimeField(
        label=_("When"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=_("Leave empty for now."),
    )

    class Meta:
        model = Interaction
        fields = ["kind", "summary", "body", "occurred_at"]
        widgets = {"body": forms.Textarea(attrs={"rows": 2})}

    def clean_occurred_at(self):
        return self.cleaned_data.get("occurred_at") or timezone.now()


class ConsentForm(CrispyMixin, forms.Form):
    status = forms.ChoiceField(label=_("Email marketing"), choices=Customer.Consent.choices)
    note = forms.CharField(
        label=_("Note"), max_length=200, required=False, help_text=_("Where or how the customer said so.")
    )


class ReassignForm(CrispyMixin, forms.Form):
    owner = forms.ModelChoiceField(label=_("New owner"), queryset=User.objects.none())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["owner"]).queryset = assignable_users()


class AttachmentForm(CrispyMixin, forms.Form):
    file = forms.FileField(label=_("File"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.CRM_ATTACHMENT_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is too large (%(size)s); the limit is %(limit)s.")
                % {"size": filesizeformat(upload.size), "limit": filesizeformat(settings.CRM_ATTACHMENT_MAX_BYTES)}
            )
        extension = PurePath(upload.name).suffix.lower().lstrip(".")
        if extension not in settings.CRM_ATTACHMENT_EXTENSIONS:
            raise forms.ValidationError(
                _("Files of type “.%(ext)s” are not accepted. Allowed: %(allowed)s.")
                % {"ext": extension, "allowed": ", ".join(settings.CRM_ATTACHMENT_EXTENSIONS)}
            )
        return upload


SMALL_SELECT = {"class": "form-select form-select-sm"}


class BulkActionForm(forms.Form):
    ACTIONS = [("assign_owner", _("Assign owner")), ("add_tag", _("Add tag")), ("export", _("Export selected"))]
    action = forms.ChoiceField(label=_("With selected"), choices=ACTIONS, widget=forms.Select(attrs=SMALL_SELECT))
    owner = forms.ModelChoiceField(
        label=_("Owner"), queryset=User.objects.none(), required=False, widget=forms.Select(attrs=SMALL_SELECT)
    )
    tag = forms.ModelChoiceField(
        label=_("Tag"), queryset=Tag.objects.all(), required=False, widget=forms.Select(attrs=SMALL_SELECT)
    )
    ids = forms.TypedMultipleChoiceField(
        coerce=int, required=True, error_messages={"required": _("Select at least one customer.")}
    )

    def __init__(self, *args, actions: list[str], **kwargs):
        """`actions`: the ACTIONS the user may use; the others are not offered (nor accepted)."""
        super().__init__(*args, **kwargs)
        offered = [*self.ACTIONS, *((a.key, a.label) for a in registry.customer_bulk_actions())]
        cast(forms.ChoiceField, self.fields["action"]).choices = [(k, v) for k, v in offered if k in actions]
        if "assign_owner" in actions:
            cast(forms.ModelChoiceField, self.fields["owner"]).queryset = assignable_users()
        else:
            del self.fields["owner"]
        if "add_tag" not in actions:
            del self.fields["tag"]
        # The choices are checked against what the user may edit in the view.
        cast(forms.ChoiceField, self.fields["ids"]).choices = (
            [(v, v) for v in cast(QueryDict, self.data).getlist("ids") if str(v).isdigit()] if self.data else []
        )

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("action") == "assign_owner" and not cleaned.get("owner"):
            self.add_error("owner", _("Choose the new owner."))
        if cleaned.get("action") == "add_tag" and not cleaned.get("tag"):
            self.add_error("tag", _("Choose a tag."))
        return cleaned


class CompanyForm(CrispyMixin, VersionedFormMixin, forms.ModelForm):
    class Meta:
        model = Company
        fields = [
            "name",
            "domain",
            "industry",
            "size",
            "phone",
            "street",
            "city",
            "postal_code",
            "country",
            "owner",
            "notes",
        ]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if roles.is_manager_or_admin(user):
            cast(forms.ModelChoiceField, self.fields["owner"]).queryset = assignable_users()
        else:
            del self.fields["owner"]

    def clean_domain(self):
        return clean_domain(self.cleaned_data["domain"])

    def clean_country(self):
        return clean_country_code(self.cleaned_data["country"])

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields if name in self.cleaned_data}
