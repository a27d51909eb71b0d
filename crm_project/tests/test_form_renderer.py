"""The Python widget renderer writes exactly what Django's widget templates write."""

import datetime
from decimal import Decimal

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates, get_default_renderer
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from crm_project.form_renderer import FormRenderer


class EveryWidgetForm(forms.Form):
    text = forms.CharField(
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("Name, email"), "maxlength": 2, "data-x": True})
    )
    search = forms.CharField(required=False, widget=forms.TextInput(attrs={"type": "search", "disabled": False}))
    email = forms.EmailField(required=False)
    number = forms.DecimalField(required=False)
    integer = forms.IntegerField(required=False, widget=forms.NumberInput(attrs={"step": 5}))
    day = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    moment = forms.DateTimeField(required=False)
    hidden = forms.CharField(required=False, widget=forms.HiddenInput)
    password = forms.CharField(required=False, widget=forms.PasswordInput(render_value=True))
    agree = forms.BooleanField(required=False)
    notes = forms.CharField(required=False, widget=forms.Textarea)
    upload = forms.FileField(required=False, widget=forms.FileInput)
    stage = forms.ChoiceField(required=False, choices=[("", "---------"), ("lead", "Lead <b>"), ("won", "Won & done")])
    grouped = forms.ChoiceField(
        required=False,
        choices=[("", "Any"), ("Open", [("a", "A"), ("b", "B")]), ('Closed & "gone"', [("c", "C")]), ("d", "D")],
    )
    numbers = forms.TypedChoiceField(
        required=False, coerce=int, choices=[(1, 1000), (2, 2.5), (3, mark_safe("<i>x</i>"))]
    )
    several = forms.MultipleChoiceField(required=False, choices=[("x", "X"), ("y", "Y"), ("z", "Z")])
    maybe = forms.NullBooleanField(required=False)
    # Not written in Python: Django renders these through its templates.
    radio = forms.ChoiceField(required=False, widget=forms.RadioSelect, choices=[("r", "R")])
    boxes = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple, choices=[("b", "B")])
    split = forms.SplitDateTimeField(required=False)


EMPTY: dict[str, str] = {}
FILLED = {
    "text": 'Ada "Byron" <ada@example.com> & co',
    "search": "smith",
    "email": "a@b.c",
    "number": "1234.5",
    "integer": "7",
    "day": "2026-12-06",
    "moment": "2026-12-06 10:30",
    "hidden": "<x>",
    "password": "pw&",
    "agree": "on",
    "notes": "line one\n<b>two</b>",
    "stage": "won",
    "grouped": "b",
    "numbers": "2",
    "several": ["x", "z"],
    "maybe": "true",
    "radio": "r",
    "boxes": ["b"],
    "split_0": "2026-12-06",
    "split_1": "10:30",
}


def _render_all(form) -> list[str]:
    return [str(field) for field in form]


@pytest.mark.parametrize("data", [EMPTY, FILLED, {"text": "x", "stage": "nope", "several": ["nope"]}])
@pytest.mark.parametrize("language", ["en", "tr"])
def test_every_widget_renders_the_same_bytes_as_djangos_templates(data, language, settings):
    from django.utils import translation

    settings.USE_THOUSAND_SEPARATOR = True
    with translation.override(language):
        fast = _render_all(EveryWidgetForm(data or None, renderer=FormRenderer()))
        django = _render_all(EveryWidgetForm(data or None, renderer=DjangoTemplates()))
    assert fast == django


def test_initial_values_render_the_same_bytes_as_djangos_templates():
    initial = {"day": datetime.date(2026, 12, 6), "number": Decimal("12.50"), "notes": "x", "stage": "lead"}
    fast = _render_all(EveryWidgetForm(initial=initial, renderer=FormRenderer()))
    assert fast == _render_all(EveryWidgetForm(initial=initial, renderer=DjangoTemplates()))


def test_the_project_renders_forms_with_the_python_widgets():
    assert isinstance(get_default_renderer(), FormRenderer)
