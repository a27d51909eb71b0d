"""The segment editor: name, kind, the customer list's filters, and rule rows
(field, operator, value; group 0 is the top level, 1, 2… are groups). The rows
become rules JSON, checked by `marketing.rules.rules_clean`: a bad rule is a form error."""

from typing import cast

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.forms import BaseFormSet, formset_factory
from django.utils.translation import gettext_lazy as _

from imports.forms import UploadForm

from ..models import Segment
from ..rules import OPS, rules_clean, segment_fields

MATCH_CHOICES = [("all", _("all of the rules")), ("any", _("any of the rules"))]
SMALL = {"class": "form-select form-select-sm"}


class SegmentForm(forms.ModelForm):
    match = forms.ChoiceField(label=_("Customers matching"), choices=MATCH_CHOICES, initial="all")
    groups_match = forms.ChoiceField(
        label=_("Within each group, customers matching"), choices=MATCH_CHOICES, initial="any", required=False
    )

    class Meta:
        model = Segment
        fields = ["name", "kind", "filters", "refresh_minutes"]
        help_texts = {"filters": _("The customer list's filters (its query string), e.g. country=DE&tag=3.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            del self.fields["kind"]  # a dynamic segment becomes static by freezing it
            self.initial.setdefault("match", (self.instance.rules or {}).get("match", "all"))
            groups = (self.instance.rules or {}).get("groups") or []
            self.initial.setdefault("groups_match", groups[0]["match"] if groups else "any")
        self.fields["refresh_minutes"].validators.append(MinValueValidator(5))
        self.fields["refresh_minutes"].widget.attrs["min"] = 5
        self.fields["filters"].required = False

    def cleaned_data_for_service(self) -> dict:
        fields = ("name", "kind", "filters", "refresh_minutes")
        return {name: self.cleaned_data[name] for name in fields if name in self.cleaned_data}


class RuleRowForm(forms.Form):
    group = forms.IntegerField(label=_("Group"), min_value=0, max_value=9, initial=0, required=False)
    field = forms.ChoiceField(label=_("Field"), required=False, widget=forms.Select(attrs=SMALL))
    op = forms.ChoiceField(
        label=_("Operator"), required=False, choices=list(OPS.items()), widget=forms.Select(attrs=SMALL)
    )
    value = forms.CharField(
        label=_("Value"),
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
    )

    def __init__(self, *args, field_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["field"]).choices = [("", "—"), *field_choices]
        self.fields["group"].widget.attrs.update({"class": "form-control form-control-sm", "style": "width: 4.5rem"})


RuleRowFormSet = formset_factory(RuleRowForm, extra=3, max_num=30, absolute_max=30)


def rule_rows_initial(rules: dict | None) -> list[dict]:
    """The rows of stored rules JSON (top level as group 0, then groups 1, 2, …)."""
    rules = rules or {}
    rows = [{**rule, "group": 0} for rule in rules.get("rules") or []]
    for number, group in enumerate(rules.get("groups") or [], start=1):
        rows += [{**rule, "group": number} for rule in group.get("rules") or []]
    for row in rows:
        if isinstance(row.get("value"), list):
            row["value"] = ", ".join(map(str, row["value"]))
    return rows


def rules_from_forms(form: SegmentForm, formset) -> dict:
    """Rules JSON from the editor (filled rows only), checked; errors land on the form."""
    top: list[dict] = []
    groups: dict[int, list[dict]] = {}
    for row in formset.cleaned_data:
        if not row or not row.get("field"):
            continue
        rule = {"field": row["field"], "op": row["op"] or "eq", "value": row.get("value", "")}
        (groups.setdefault(row["group"], []) if row.get("group") else top).append(rule)
    group_match = form.cleaned_data.get("groups_match") or "any"
    rules = {
        "match": form.cleaned_data["match"],
        "rules": top,
        "groups": [{"match": group_match, "rules": groups[number]} for number in sorted(groups)],
    }
    return rules_clean(rules)


def segment_editor(data=None, *, instance: Segment | None = None) -> tuple[SegmentForm, BaseFormSet]:
    field_choices = [(key, str(f.label)) for key, f in segment_fields().items()]
    initial = rule_rows_initial(instance.rules) if instance is not None else []
    form = SegmentForm(data, instance=instance)
    formset = RuleRowFormSet(data, initial=initial, prefix="rules", form_kwargs={"field_choices": field_choices})
    return form, formset


def editor_rules(form: SegmentForm, formset) -> dict | None:
    """Validate both; the rules JSON, or None with the errors on the form."""
    if not (form.is_valid() and formset.is_valid()):
        return None
    try:
        return rules_from_forms(form, formset)
    except ValidationError as error:
        for message in error.messages:
            form.add_error(None, message)
        return None


class AddToListForm(forms.Form):
    """The customer list's bulk action: add the chosen customers to a static list, or a new one."""

    segment = forms.ModelChoiceField(
        label=_("Static list"),
        queryset=Segment.objects.filter(kind=Segment.Kind.STATIC),
        required=False,
        empty_label=_("A new list…"),
    )
    new_name = forms.CharField(label=_("Name of the new list"), max_length=150, required=False)
    ids = forms.CharField(widget=forms.HiddenInput)

    def clean_ids(self) -> list[int]:
        parts = [part for part in self.cleaned_data["ids"].split(",") if part.strip()]
        if not parts or not all(part.strip().isdigit() for part in parts):
            raise ValidationError(_("Select at least one customer."))
        return [int(part) for part in parts]

    def clean(self):
        cleaned = super().clean() or {}
        if not cleaned.get("segment") and not (cleaned.get("new_name") or "").strip():
            self.add_error("new_name", _("Choose a list or name a new one."))
        return cleaned


class EmailsUploadForm(UploadForm):
    """A CSV of emails for a static list (the import kit's upload checks)."""
