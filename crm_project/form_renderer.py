"""Form widgets rendered in Python: the same HTML as Django's widget templates, without the template engine.

Django renders every widget through a template, and a select through one more
template per option (plus `attrs.html` for each): a list's filter bar with its
owner, team and tag menus spent about 13 ms a request there (issue 11). This
renderer writes the markup of the plain widget templates directly (inputs,
selects, textareas) and leaves every other template (forms, fields, radio and
checkbox groups, multi-widgets, a project's own widget templates) to Django.
`crm_project/tests/test_form_renderer.py` checks that both give the same bytes.

Settings: FORM_RENDERER = "crm_project.form_renderer.FormRenderer".
"""

from collections.abc import Callable, Mapping

from django import forms
from django.forms import BoundField
from django.forms.renderers import DjangoTemplates
from django.utils.formats import localize
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeData, mark_safe

WIDGETS = "django/forms/widgets/"
# Every widget template that is only `{% include "django/forms/widgets/input.html" %}`.
INPUT_TEMPLATES = frozenset(
    f"{WIDGETS}{name}.html"
    for name in (
        "input",
        "text",
        "number",
        "email",
        "url",
        "password",
        "hidden",
        "date",
        "datetime",
        "time",
        "search",
        "tel",
        "color",
        "checkbox",
        "file",
    )
)
SELECT_TEMPLATE = f"{WIDGETS}select.html"
OPTION_TEMPLATE = f"{WIDGETS}select_option.html"
TEXTAREA_TEMPLATE = f"{WIDGETS}textarea.html"


class FormRenderer(DjangoTemplates):
    """Django's default renderer, with the plain widgets written in Python."""

    def render(self, template_name, context, request=None):
        fast = _RENDERERS.get(template_name)
        if fast is not None:
            html = fast(context["widget"])
            if html is not None:
                return html
        return super().render(template_name, context, request=request)


def _text(value) -> str:
    """`{{ value }}`: localized, as text, escaped unless already safe."""
    value = localize(value)
    if not isinstance(value, str):
        value = str(value)
    return conditional_escape(value)


def _formatted(value) -> str:
    """`{{ value|stringformat:'s' }}`: as text, escaped unless it was safe."""
    text = str(value) if isinstance(value, tuple) else "%s" % value  # noqa: UP031 - the filter's own formatting
    return text if isinstance(value, SafeData) else escape(text)


def attrs_html(attrs: Mapping) -> str:
    """django/forms/widgets/attrs.html: ` name="value"`, a bare ` name` for True, nothing for False."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        parts.append(f" {_text(name)}" if value is True else f' {_text(name)}="{_formatted(value)}"')
    return "".join(parts)


def input_html(widget: Mapping) -> str:
    value = widget["value"]
    value_attr = "" if value is None else f' value="{_formatted(value)}"'
    name_attr = f' name="{_text(widget["name"])}"'
    return mark_safe(f'<input type="{_text(widget["type"])}"{name_attr}{value_attr}{attrs_html(widget["attrs"])}>')  # noqa: S308 - escaped


def select_html(widget: Mapping) -> str | None:
    parts = [f'<select name="{_text(widget["name"])}"{attrs_html(widget["attrs"])}>']
    for group_name, group_choices, _group_index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_text(group_name)}">')
        for option in group_choices:
            if option["template_name"] != OPTION_TEMPLATE:
                return None  # a widget with its own option template: Django renders it
            parts.append(
                f'\n  <option value="{_formatted(option["value"])}"{attrs_html(option["attrs"])}>'
                f"{_text(option['label'])}</option>\n"  # the option template's own last line break
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return mark_safe("".join(parts))  # noqa: S308 - every part escaped above


def textarea_html(widget: Mapping) -> str:
    value = _text(widget["value"]) if widget["value"] else ""
    return mark_safe(  # noqa: S308 - every part escaped above
        f'<textarea name="{_text(widget["name"])}"{attrs_html(widget["attrs"])}>\n{value}</textarea>'
    )


_RENDERERS: dict[str, Callable[[Mapping], str | None]] = {
    **dict.fromkeys(INPUT_TEMPLATES, input_html),
    SELECT_TEMPLATE: select_html,
    TEXTAREA_TEMPLATE: textarea_html,
}


# --- crispy's Bootstrap 5 field, for the list frame's filter bar -------------------------------
def bootstrap_field_html(field: BoundField) -> str | None:
    """What `{{ field|as_crispy_field }}` writes for a plain input or select without
    errors (the filter bars' fields), up to whitespace between tags; None
    for anything else (the caller renders it through crispy). crispy's field template
    costs about 0.3 ms a field, most of a filter bar's time after the widgets."""
    widget = field.field.widget
    if (
        field.is_hidden
        or field.errors
        or field.use_fieldset
        or field.field.show_hidden_initial
        or getattr(field.form, "helper", None) is not None
        or isinstance(widget, _NOT_PLAIN)
        or widget.template_name not in _PLAIN_TEMPLATES
    ):
        return None
    required = field.field.required
    css = field.css_classes()
    label = ""
    if field.label:
        target = f' for="{_text(field.id_for_label)}"' if field.id_for_label else ""
        asterisk = '<span class="asteriskField">*</span>' if required else ""
        classes = "form-label requiredField" if required else "form-label"
        label = f'<label{target} class="{classes}">{_text(field.label)}{asterisk}</label>'
    control = field.as_widget(attrs={"class": _crispy_class(widget)})
    help_text = ""
    if field.help_text:  # crispy writes it unescaped (|safe), as Django's own forms do
        help_id = f'id="{_text(field.auto_id)}_helptext" ' if field.auto_id else ""
        help_text = f'<div {help_id}class="form-text">{field.help_text}</div>'
    opening = f'<div id="div_{_text(field.auto_id)}" class="mb-3{" " + _text(css) if css else ""}">'
    return mark_safe(f"{opening}{label}{control}{help_text}</div>")  # noqa: S308 - escaped above, but the help text


def _crispy_class(widget: forms.Widget) -> str:
    """crispy's `crispy_field` tag: the widget's classes, its class name, then Bootstrap's class."""
    name = type(widget).__name__.lower()
    classes = widget.attrs.get("class", "")
    if not classes:
        classes = name
    elif classes.find(name) == -1:
        classes += f" {name}"
    for bootstrap in ("form-select" if isinstance(widget, forms.Select) else "form-control").split():
        if bootstrap not in classes.split():
            classes += f" {bootstrap}"
    return classes


_NOT_PLAIN = (forms.CheckboxInput, forms.RadioSelect, forms.CheckboxSelectMultiple, forms.FileInput, forms.MultiWidget)
_PLAIN_TEMPLATES = INPUT_TEMPLATES | {SELECT_TEMPLATE, TEXTAREA_TEMPLATE}
