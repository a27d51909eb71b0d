from html import unescape

import pytest
from django.urls import reverse

from marketing.models import LeadForm, Sequence

PAGES = ["marketing:form-list", "marketing:form-create", "marketing:sequence-list", "marketing:sequence-create"]


@pytest.mark.parametrize("view_name", PAGES)
@pytest.mark.parametrize("persona", ["owner", "agent"])
def test_sales_reps_and_agents_get_403_on_the_form_and_sequence_pages(client_for, request, view_name, persona):
    client = client_for(request.getfixturevalue(persona))
    assert client.get(reverse(view_name)).status_code == 403


@pytest.mark.parametrize("view_name", PAGES)
@pytest.mark.parametrize("persona", ["marketer", "manager"])
def test_marketers_and_managers_open_the_form_and_sequence_pages(client_for, request, view_name, persona):
    assert client_for(request.getfixturevalue(persona)).get(reverse(view_name)).status_code == 200


def test_a_marketer_creates_a_form_and_gets_its_embed_snippets(client_for, marketer):
    client = client_for(marketer)
    data = {
        "name": "Newsletter", "slug": "newsletter", "ask_consent": "on", "consent_text": "Send me news",
        "thanks_text": "", "allowed_origins": "https://www.example.com/\n", "is_published": "on",
        "fields-TOTAL_FORMS": "2", "fields-INITIAL_FORMS": "0",
        "fields-0-target": "email", "fields-0-label": "Email",
        "fields-1-target": "first_name", "fields-1-label": "First name",
    }  # fmt: skip
    response = client.post(reverse("marketing:form-create"), data, follow=True)
    form = LeadForm.objects.get()
    assert form.allowed_origins == "https://www.example.com"
    assert [row["name"] for row in form.fields] == ["email", "first_name"]
    assert form.fields[0]["required"] is True
    html = response.content.decode()
    assert '&lt;iframe src="http://testserver/marketing/f/newsletter/"' in html
    snippet = unescape(html.split('id="snippet-html"', 1)[1].split(">", 1)[1].split("</textarea>", 1)[0])
    assert snippet.startswith('<form method="post" action="http://testserver/marketing/f/newsletter/"')
    assert '<input name="first_name">' in snippet and '<input type="hidden" name="token">' in snippet
    assert 'name="homepage"' in snippet and 'fetch("http://testserver/marketing/f/newsletter/token/"' in snippet


def test_a_form_without_an_email_field_is_refused(client_for, marketer):
    data = {
        "name": "No email", "slug": "no-email", "consent_text": "", "thanks_text": "", "allowed_origins": "",
        "fields-TOTAL_FORMS": "1", "fields-INITIAL_FORMS": "0",
        "fields-0-target": "first_name", "fields-0-label": "First name",
    }  # fmt: skip
    response = client_for(marketer).post(reverse("marketing:form-create"), data)
    assert response.status_code == 200 and "A form needs an email field." in response.content.decode()
    assert not LeadForm.objects.exists()


def test_a_marketer_creates_a_sequence_with_steps(client_for, marketer):
    data = {
        "name": "After an order", "trigger": "order", "goal": "", "is_active": "on",
        "steps-TOTAL_FORMS": "3", "steps-INITIAL_FORMS": "0", "steps-MIN_NUM_FORMS": "0", "steps-MAX_NUM_FORMS": "1000",
        "steps-0-kind": "wait", "steps-0-wait_days": "2",
        "steps-1-kind": "task", "steps-1-task_title": "Call to say thanks",
    }  # fmt: skip
    response = client_for(marketer).post(reverse("marketing:sequence-create"), data)
    assert response.status_code == 302
    sequence = Sequence.objects.get()
    assert list(sequence.steps.values_list("position", "kind", "wait_days", "task_title")) == [
        (1, "wait", 2, ""),
        (2, "task", 0, "Call to say thanks"),
    ]


def test_a_segment_trigger_needs_a_segment(client_for, marketer):
    data = {
        "name": "Joiners", "trigger": "segment", "goal": "",
        "steps-TOTAL_FORMS": "1", "steps-INITIAL_FORMS": "0", "steps-MIN_NUM_FORMS": "0", "steps-MAX_NUM_FORMS": "1000",
        "steps-0-kind": "wait", "steps-0-wait_days": "2",
    }  # fmt: skip
    response = client_for(marketer).post(reverse("marketing:sequence-create"), data)
    assert "Choose the segment whose new members start the sequence." in response.content.decode()
    assert not Sequence.objects.exists()
