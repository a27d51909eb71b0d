"""Mapping the columns of an import file to customer fields: guessed from the
header names, then confirmed (or changed) by the user."""

import re
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from imports.services import ImportMappingError

from ..models import CustomField

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

CUSTOM_PREFIX = "custom:"

# (target, label) for the mapping step; custom fields are appended as "custom:<key>".
FIELDS = (
    ("first_name", gettext_lazy("First name")),
    ("last_name", gettext_lazy("Last name")),
    ("email", gettext_lazy("Email")),
    ("phone", gettext_lazy("Phone")),
    ("company", gettext_lazy("Company")),
    ("job_title", gettext_lazy("Job title")),
    ("street", gettext_lazy("Street")),
    ("city", gettext_lazy("City")),
    ("postal_code", gettext_lazy("Postal code")),
    ("country", gettext_lazy("Country")),
    ("lifecycle_stage", gettext_lazy("Lifecycle stage")),
    ("external_ref", gettext_lazy("External reference")),
    ("notes", gettext_lazy("Notes")),
    ("owner", gettext_lazy("Owner (username or email)")),
    ("tags", gettext_lazy("Tags (comma-separated)")),
    ("email_consent", gettext_lazy("Email consent (yes/no)")),
)
# Header spellings (lower case, letters and digits only) guessed after exact names.
SYNONYMS = {
    "first_name": ("first", "firstnames", "givenname", "forename", "vorname"),
    "last_name": ("last", "surname", "familyname", "lastnames", "nachname"),
    "email": ("emailaddress", "mail", "mailaddress", "emails"),
    "phone": ("phonenumber", "telephone", "tel", "mobile", "mobilephone", "cell", "telefon"),
    "company": ("companyname", "organisation", "organization", "account", "accountname", "employer", "firma"),
    "job_title": ("title", "position", "jobtitles"),
    "street": ("address", "streetaddress", "address1", "addressline1"),
    "city": ("town",),
    "postal_code": ("postcode", "zip", "zipcode", "plz"),
    "country": ("countrycode",),
    "lifecycle_stage": ("stage", "lifecycle"),
    "external_ref": ("id", "customerref", "externalid", "customerid", "reference", "ref", "customernumber"),
    "notes": ("note", "comment", "comments"),
    "owner": ("accountowner", "salesrep", "assignedto"),
    "tags": ("tag", "labels"),
    "email_consent": ("consent", "marketingconsent", "optin", "newsletter", "emailmarketing"),
}


def import_field_choices(custom_fields: list[CustomField]) -> list[tuple[str, "StrOrPromise"]]:
    return [
        ("", gettext_lazy("— ignore this column —")),
        *FIELDS,
        *[(f"{CUSTOM_PREFIX}{custom.key}", custom.label) for custom in custom_fields],
    ]


def import_mapping_guess(headers: list[str], custom_fields: list[CustomField]) -> dict[str, str]:
    """{column index (str): target} from the header names; exact names first, then synonyms."""
    exact: dict[str, str] = {}
    for key, label in FIELDS:
        exact.setdefault(_normalize(key), key)
        exact.setdefault(_normalize(str(label)), key)
    for custom in custom_fields:
        exact.setdefault(_normalize(custom.key), f"{CUSTOM_PREFIX}{custom.key}")
        exact.setdefault(_normalize(custom.label), f"{CUSTOM_PREFIX}{custom.key}")
    synonyms = {synonym: key for key, names in SYNONYMS.items() for synonym in names}
    mapping: dict[str, str] = {}
    for lookup in (exact, synonyms):
        for index, header in enumerate(headers):
            target = lookup.get(_normalize(header))
            if str(index) not in mapping and target and target not in mapping.values():
                mapping[str(index)] = target
    return mapping


def import_mapping_clean(mapping: dict, *, headers: list[str], custom_fields: list[CustomField]) -> dict[str, str]:
    """Validate a mapping from the user, the session or a task's arguments."""
    labels = dict(import_field_choices(custom_fields))
    clean: dict[str, str] = {}
    for index, target in mapping.items():
        if not target:
            continue
        if target not in labels or not str(index).isdigit() or int(index) >= len(headers):
            raise ImportMappingError(_("The column mapping is out of date. Map the columns again."))
        if target in clean.values():
            raise ImportMappingError(_("“%(field)s” is chosen for more than one column.") % {"field": labels[target]})
        clean[str(index)] = target
    if "last_name" not in clean.values():
        raise ImportMappingError(_("Choose the column that holds the last name; it is required."))
    return clean


def _normalize(text: str) -> str:
    return re.sub(r"[\W_]", "", text.casefold())
