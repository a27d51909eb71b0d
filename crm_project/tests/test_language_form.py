"""The language switcher ({% language_form %}) is the HTML its template drew (partials/language_form.html)."""

import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template import Context, RequestContext, Template
from django.utils import translation

pytestmark = pytest.mark.django_db

# partials/language_form.html before {% language_form %} replaced it.
PARTIAL = Template(
    "{% load i18n %}{# The language switcher: in the top bar at md and up, in the offcanvas menu on a phone. A logged-in user's choice is kept on their profile. #}\n"  # noqa: E501 - the template's own line
    "{% get_current_language as LANGUAGE_CODE %}\n"
    '<form action="{% if user.is_authenticated %}{% url \'language-choose\' %}{% else %}{% url \'set_language\' %}{% endif %}" method="post" class="d-flex align-items-center gap-2" id="{{ form_id }}">\n'  # noqa: E501 - the template's own line
    "  {% csrf_token %}\n"
    '  <input name="next" type="hidden" value="{{ request.get_full_path }}">\n'
    '  <label class="{% if show_label %}form-label mb-0 text-nowrap{% else %}visually-hidden{% endif %}" for="{{ select_id }}">{% translate "Language" %}</label>\n'  # noqa: E501 - the template's own line
    '  <select id="{{ select_id }}" name="language" class="form-select form-select-sm" onchange="this.form.submit()">\n'
    "    {% get_available_languages as LANGUAGES %}{% get_language_info_list for LANGUAGES as languages %}\n"
    "    {% for language in languages %}\n"
    '    <option value="{{ language.code }}"{% if language.code == LANGUAGE_CODE %} selected{% endif %}>{{ language.name_local }}</option>\n'  # noqa: E501 - the template's own line
    "    {% endfor %}\n"
    "  </select>\n"
    '  <noscript><button class="btn btn-sm {% if show_label %}btn-outline-secondary{% else %}btn-outline-light{% endif %}" type="submit">{% translate "Go" %}</button></noscript>\n'  # noqa: E501 - the template's own line
    "</form>\n"
)
# A masked CSRF token differs on every render.
TOKEN = re.compile(r'csrfmiddlewaretoken" value="[^"]+"')
TAG = Template("{% load crm_tags %}{% language_form form_id=form_id select_id=select_id show_label=show_label %}")


@pytest.mark.parametrize("language", ["en", "tr"])
@pytest.mark.parametrize("show_label", [False, True])
@pytest.mark.parametrize("logged_in", [False, True])
def test_the_language_switcher_is_the_html_its_template_drew(rf, admin_user, language, show_label, logged_in):
    request = rf.get("/customers/", {"q": "a&b <c>", "page": "2"})
    request.user = admin_user if logged_in else AnonymousUser()
    values = {"form_id": "menu-language-form", "select_id": "menu-language-select", "show_label": show_label}
    with translation.override(language):
        context = RequestContext(request, values)  # its processors give the user and the CSRF token
        ours = TAG.render(context)
        theirs = PARTIAL.render(context)

    assert TOKEN.sub("", ours) == TOKEN.sub("", theirs)
    assert "csrfmiddlewaretoken" in ours and "q=a%26b+%3Cc%3E" in ours and " selected>" in ours


def test_the_language_switcher_without_a_request_still_draws():
    html = TAG.render(Context({"form_id": "f", "select_id": "s", "show_label": False}))

    assert '<input name="next" type="hidden" value="">' in html
