"""The merge screen's form: which record survives, and which value to keep
for each field where the two records differ."""

from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..models import Customer, CustomField
from ..services.merge import MERGE_FIELDS, is_empty, notes_combined

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

BOTH = "both"
CUSTOM_PREFIX = "custom__"


class CustomerMergeForm(forms.Form):
    survivor = forms.ChoiceField(
        label=_("Record to keep"), widget=forms.RadioSelect(attrs={"class": "form-check-input"})
    )

    def __init__(self, *args, first: Customer, second: Customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.records = {str(first.pk): first, str(second.pk): second}
        self.first, self.second = first, second
        cast(forms.ChoiceField, self.fields["survivor"]).choices = [
            (str(c.pk), f"{c} (#{c.pk})") for c in (first, second)
        ]
        self.fields["survivor"].initial = str(first.pk)
        # field name -> (value when the first survives, value when the second does)
        self.defaults: dict[str, tuple[str, str]] = {}
        for name in MERGE_FIELDS:
            if _raw(first, name) != _raw(second, name):
                self._add_choice(name, _verbose_name(name), _display(first, name),
                                 _display(second, name), empty=(is_empty(_raw(first, name)),
                                                                is_empty(_raw(second, name))))  # fmt: skip
        labels = dict(CustomField.objects.values_list("key", "label"))
        for key in sorted(first.custom_data.keys() | second.custom_data.keys()):
            mine, theirs = first.custom_data.get(key), second.custom_data.get(key)
            if mine != theirs:
                self._add_choice(CUSTOM_PREFIX + key, labels.get(key, key), mine, theirs,
                                 empty=(is_empty(mine), is_empty(theirs)))  # fmt: skip

    def _add_choice(self, name: str, label, first_value, second_value, *, empty: tuple[bool, bool]) -> None:
        first_pk, second_pk = str(self.first.pk), str(self.second.pk)
        choices = [(first_pk, _shown(first_value)), (second_pk, _shown(second_value))]
        if name == "notes" and not any(empty):
            choices.append((BOTH, _("Both")))
            self.defaults[name] = (BOTH, BOTH)
        else:
            self.defaults[name] = (second_pk if empty[0] else first_pk, first_pk if empty[1] else second_pk)
        self.fields[name] = forms.ChoiceField(
            label=label, choices=choices, initial=self.defaults[name][0],
            widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        )  # fmt: skip

    @property
    def value_rows(self) -> list[tuple[forms.BoundField, str, str]]:
        """(field, default when the first survives, default when the second does) per differing field."""
        return [(self[name], *self.defaults[name]) for name in self.defaults]

    @property
    def survivor_record(self) -> Customer:
        return self.records[self.cleaned_data["survivor"]]

    @property
    def other_record(self) -> Customer:
        return self.second if self.survivor_record is self.first else self.first

    def field_values(self) -> dict:
        """The values to keep, as customer_merge() takes them."""
        survivor, other = self.survivor_record, self.other_record
        values: dict[str, Any] = {}
        custom_data = {**other.custom_data, **survivor.custom_data}
        for name in self.fields:
            if name == "survivor":
                continue
            choice = self.cleaned_data[name]
            if name.startswith(CUSTOM_PREFIX):
                key = name.removeprefix(CUSTOM_PREFIX)
                chosen = self.records[choice].custom_data
                if key in chosen:
                    custom_data[key] = chosen[key]
                else:
                    custom_data.pop(key, None)
            elif choice == BOTH:
                values[name] = notes_combined(survivor.notes, other.notes)
            else:
                values[name] = getattr(self.records[choice], name)
        values["custom_data"] = custom_data
        return values


def _verbose_name(name: str) -> "StrOrPromise":
    # The merge fields are concrete fields, never reverse relations.
    return cast(models.Field, Customer._meta.get_field(name)).verbose_name


def _raw(customer: Customer, name: str):
    if name in ("company", "owner"):
        return getattr(customer, f"{name}_id")
    return getattr(customer, name)


def _display(customer: Customer, name: str):
    if name in ("lifecycle_stage", "source"):
        return getattr(customer, f"get_{name}_display")()
    value = getattr(customer, name)
    return "" if value is None else str(value)


def _shown(value):
    return _("(empty)") if is_empty(value) else str(value)
