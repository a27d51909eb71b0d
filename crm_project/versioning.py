"""Stale edits are refused, not saved over someone else's.

A versioned record carries a number that every save through a service raises.
Its edit form carries the number it was opened at and, signed, the values it
showed. Saving claims the next number in one conditional UPDATE, so of twenty
parallel saves of one version exactly one wins. The others are refused, and
their form comes back merged: fields only the other person changed show the
other person's value, fields only this user changed keep theirs, and a field
both changed keeps this user's value with a note naming the other one."""

import json
from copy import copy
from typing import Any, cast

from django import forms
from django.core import signing
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import F
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

SNAPSHOT_SALT = "crm.versioning.snapshot"


class StaleEdit(Exception):
    """The record was saved by someone else after the form was opened."""


class VersionedModel(models.Model):
    version = models.PositiveIntegerField(gettext_lazy("version"), default=1, editable=False)

    class Meta:
        abstract = True


def version_claim(instance: VersionedModel, *, expected: int) -> None:
    """Raise the stored version from `expected` by one, or raise StaleEdit when the
    stored one has moved on. Call it inside the transaction that saves the edit."""
    claimed = type(instance)._default_manager.filter(pk=instance.pk, version=expected).update(version=F("version") + 1)
    if not claimed:
        raise StaleEdit
    instance.version = expected + 1


class VersionedFormMixin(forms.Form):
    """A ModelForm mixin: hidden `version` and `opened` (the values shown, signed)."""

    # Set by the ModelForm this is mixed into, and bound from the request's POST.
    instance: Any
    data: QueryDict

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    opened = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        instance = getattr(self, "instance", None)
        if instance is not None and instance.pk:
            self.fields["version"].initial = instance.version
            # A callable, read when the form renders: subclasses set their initial values after this.
            self.fields["opened"].initial = lambda: signing.dumps(self.shown_values(), salt=SNAPSHOT_SALT)

    def shown_values(self) -> dict:
        """What the unbound form shows for each editable field, as JSON values."""
        names = [name for name in self.fields if name not in ("version", "opened")]
        values = {name: self[name].initial for name in names}
        return json.loads(json.dumps(values, cls=DjangoJSONEncoder, default=_pk_or_str))

    def opened_values(self) -> dict | None:
        try:
            return signing.loads(self.data.get("opened", ""), salt=SNAPSHOT_SALT)
        except signing.BadSignature:
            return None

    def opened_version(self) -> int | None:
        value = self.cleaned_data.get("version") if hasattr(self, "cleaned_data") else None
        return value if isinstance(value, int) else None

    def changed_since_opened(self) -> list[str]:
        """The fields this user changed: compared with what the form showed when opened."""
        opened = self.opened_values()
        if opened is None:
            return list(self.changed_data)
        return [
            name
            for name, value in opened.items()
            if name in self.fields
            and self.fields[name].has_changed(_as_initial(self.fields[name], value), self[name].data)
        ]


def _as_initial(field: forms.Field, value):
    """A snapshot's JSON value back as the field's initial value (a date, a Decimal…)."""
    if isinstance(field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField) or value is None:
        return value
    try:
        return field.to_python(value)
    except forms.ValidationError:
        return value


def _pk_or_str(value):
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, set | tuple):
        return list(value)
    return str(value)


def stale_form_data(*, submitted: VersionedFormMixin, current: VersionedFormMixin) -> tuple[dict, dict[str, str]]:
    """The data for the form shown after a refused save, and a note for each field
    that both people changed. `current` is an unbound form of the stored record."""
    opened = submitted.opened_values() or {}
    now = current.shown_values()
    mine = set(submitted.changed_since_opened())
    theirs = {name for name, value in now.items() if name in opened and opened[name] != value}
    data = submitted.data.copy()
    for name in theirs - mine:
        _set_value(data, name, now[name])
    data["version"] = str(current.instance.version)
    data["opened"] = signing.dumps(now, salt=SNAPSHOT_SALT)
    notes = {
        name: _("Changed by someone else to “%(value)s” while you were editing; your value is kept below.")
        % {"value": _display(current, name)}
        for name in sorted(theirs & mine)
    }
    return data, notes


def _set_value(data, name: str, value) -> None:
    if isinstance(value, list):
        data.setlist(name, [str(item) for item in value])
    else:
        data[name] = "" if value is None else str(value)


def _display(form: VersionedFormMixin, name: str) -> str:
    field = form.fields[name]
    value = form[name].initial
    if isinstance(field, forms.ModelMultipleChoiceField):
        return ", ".join(str(item) for item in value or []) or "—"
    if isinstance(field, forms.ChoiceField):
        labels = {str(key): label for key, label in cast(list[tuple[object, object]], field.choices)}
        key = value.pk if isinstance(value, models.Model) else value
        return str(labels.get(str(key), value if value not in (None, "") else "—"))
    return str(value) if value not in (None, "") else "—"


def refused_edit_form(submitted: VersionedFormMixin, *, current: VersionedModel, **form_kwargs):
    """The form to show after StaleEdit: merged data, the version now stored (`current`,
    the record read again), and the errors that say what happened. `form_kwargs` are
    what the form class takes besides data and instance (user=…)."""
    form_class = type(submitted)
    data, notes = stale_form_data(submitted=submitted, current=form_class(instance=current, **form_kwargs))
    # A copy, like the form the view first built: the service must see the stored values.
    form = form_class(data, instance=copy(current), **form_kwargs)
    form.is_valid()
    form.add_error(None, stale_message())
    for name, note in notes.items():
        form.add_error(name, note)
    return form


def stale_message() -> str:
    return _(
        "Someone else saved this record while you were editing. Their changes are in the form now "
        "and yours are kept; check it and save again."
    )
