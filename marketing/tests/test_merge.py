"""The locked-down merge engine: fields and `default` only, escaped in HTML."""

from marketing import merge


def test_a_value_is_html_escaped_in_html_and_left_raw_in_text():
    context = {"first_name": '<script>alert("x")</script>'}
    assert merge.render("<p>{{ first_name }}</p>", context, html=True) == (
        "<p>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</p>"
    )
    assert merge.render("Hi {{ first_name }}", context, html=False) == 'Hi <script>alert("x")</script>'


def test_default_fills_a_missing_or_empty_field():
    template = 'Hi {{ first_name|default:"there" }}!'
    assert merge.render(template, {"first_name": ""}, html=False) == "Hi there!"
    assert merge.render(template, {}, html=False) == "Hi there!"
    assert merge.render(template, {"first_name": "Ann"}, html=False) == "Hi Ann!"


def test_an_unknown_field_is_an_error_naming_it():
    assert merge.validate("Hi {{ shoe_size }}") == ['Unknown merge field "shoe_size".']


def test_custom_field_keys_are_allowed_when_listed():
    assert merge.validate("{{ shoe_size }}", fields=[*merge.BUILTIN_FIELDS, "shoe_size"]) == []


def test_tags_attribute_access_and_other_filters_are_rejected():
    assert merge.validate("{% load static %}Hi")
    assert merge.validate("{{ first_name.upper }}")
    assert merge.validate("{{ first_name|upper }}")
    assert merge.validate("{{ email|default:x }}")
    assert merge.validate("{# hidden #}")
    assert merge.validate("Hi {{ first_name")


def test_a_good_template_has_no_errors():
    assert merge.validate('<a href="{{ unsubscribe_url }}">{{ first_name|default:"you" }}</a>') == []


def test_a_template_is_compiled_once_and_rendered_by_joining():
    merge.compile_template.cache_clear()
    for name in ("A", "B", "C"):
        merge.render("Hi {{ first_name }}", {"first_name": name}, html=True)
    assert merge.compile_template.cache_info().misses == 1
