"""The Python widget renderer writes exactly what Django's widget templates write."""

import datetime
import re
from decimal import Decimal
from importlib import import_module

import pytest
from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field
from django import forms
from django.conf import settings
from django.forms.renderers import DjangoTemplates, get_default_renderer
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from crm_project.form_renderer import FormRenderer, bootstrap_field_html
from crm_project.lists import FilteredTableView
from crm_project.templatetags.crm_tags import as_bootstrap_field


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


# --- the filter bar's fields without crispy's template ----------------------------------------
def squashed(html: str) -> str:
    """The markup without the whitespace between tags and around texts (crispy's template indents)."""
    html = re.sub(r"\s+", " ", str(html))
    return re.sub(r"\s*(<|>)\s*", r"\1", html)


def list_filtersets() -> list[type]:
    import_module(settings.ROOT_URLCONF)  # every list view
    views, pending = [], [FilteredTableView]
    while pending:
        view = pending.pop()
        pending.extend(view.__subclasses__())
        views.append(view)
    from sales.filters.deals import BoardFilter  # the pipeline board's filter bar

    filtersets = {view.filterset_class for view in views if view.filterset_class} | {BoardFilter}
    return sorted(filtersets, key=lambda c: c.__qualname__)


LIST_QUERIES = [
    {},
    {"q": "Ada <b>", "owner": "999999", "country": "DE", "created_after": "not a date", "status": "won"},
    {"close_month": "2026-12", "team": "1"},
]


@pytest.mark.django_db
@pytest.mark.parametrize("data", LIST_QUERIES)
def test_every_as_bootstrap_field_renders_as_crispy_renders_it(data, admin_user, team, rf):
    from customers.tests.factories import TagFactory

    TagFactory(name="VIP & friends")
    request = rf.get("/", data)
    request.user = admin_user
    filtersets = list_filtersets()
    assert len(filtersets) >= 7
    fast_path = 0
    for filterset_class in filtersets:
        for field in filterset_class(data or None, request=request, queryset=None).form.visible_fields():
            fast_path += bootstrap_field_html(field) is not None
            ours = as_bootstrap_field(field)
            crispy = as_crispy_field(field)  # after ours: crispy changes the widget's classes in place
            assert squashed(ours) == squashed(crispy), (filterset_class, field.name)
    assert fast_path > 20


@pytest.mark.parametrize("data", [None, {"as_of": "2026-12-06", "window_days": "30"}, {"window_days": "-1"}])
def test_a_field_with_help_text_renders_as_crispy_renders_it(data):
    from analytics.forms import RfmRunForm

    for field in RfmRunForm(data):
        assert (bootstrap_field_html(field) is None) == bool(field.errors)  # only errors go through crispy
        ours = as_bootstrap_field(field)
        assert squashed(ours) == squashed(as_crispy_field(field)), field.name
