import time
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail, signing
from django.urls import reverse

from customers.models import ConsentEvent, Customer
from customers.tests.factories import CustomerFactory
from marketing.models import FormSubmission, LeadForm
from marketing.services.leadforms import RENDER_SALT, render_token, render_token_check
from sales.models import Lead

FIELDS = [
    {"name": "email", "label": "Email", "target": "email", "required": True},
    {"name": "first_name", "label": "First name", "target": "first_name", "required": False},
    {"name": "message", "label": "Message", "target": "message", "required": False},
]


@pytest.fixture
def newsletter(db):
    return LeadForm.objects.create(
        name="Newsletter",
        slug="newsletter",
        fields=FIELDS,
        ask_consent=True,
        allowed_origins="https://www.example.com",
        is_published=True,
    )


def aged_token(form, seconds=5):
    return signing.dumps({"f": form.pk, "t": time.time() - seconds}, salt=RENDER_SALT)


def post(client, form, **data):
    headers = data.pop("headers", {})
    payload = {"token": aged_token(form), "email": "ann@example.com", "first_name": "Ann", **data}
    return client.post(reverse("marketing:form-public", args=[form.slug]), payload, headers=headers)


def test_the_public_form_renders_without_login_with_a_token_and_a_honeypot_and_may_be_framed(client, newsletter):
    response = client.get("/marketing/f/newsletter/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="token"' in html and 'name="homepage"' in html and 'name="consent"' in html
    assert "X-Frame-Options" not in response.headers
    assert "sidebar" not in html  # no CRM navigation


def test_an_unpublished_form_is_not_found(client, newsletter):
    newsletter.is_published = False
    newsletter.save()
    assert client.get("/marketing/f/newsletter/").status_code == 404
    assert post(client, newsletter).status_code == 404


def test_a_filled_honeypot_gets_the_thanks_page_and_nothing_is_created(client, newsletter):
    response = post(client, newsletter, homepage="http://spam.example")
    assert response.status_code == 200 and b"form-thanks" in response.content
    assert not FormSubmission.objects.exists() and not Lead.objects.exists()


def test_a_post_within_two_seconds_of_rendering_is_thanked_and_dropped(client, newsletter):
    response = post(client, newsletter, token=render_token(newsletter))
    assert b"form-thanks" in response.content
    assert not FormSubmission.objects.exists() and not Lead.objects.exists()


@pytest.mark.parametrize("token", ["garbage", "tampered"])
def test_a_forged_or_tampered_token_is_thanked_and_dropped(client, newsletter, token):
    if token == "tampered":
        token = aged_token(newsletter)[:-2] + "xx"
    response = post(client, newsletter, token=token)
    assert b"form-thanks" in response.content
    assert not FormSubmission.objects.exists()


def test_a_token_for_another_form_is_dropped(client, newsletter):
    other = LeadForm.objects.create(name="Other", slug="other", fields=FIELDS, is_published=True)
    post(client, newsletter, token=aged_token(other))
    assert not FormSubmission.objects.exists()


def test_a_post_from_a_foreign_origin_is_forbidden(client, newsletter):
    response = post(client, newsletter, headers={"Origin": "https://evil.example"})
    assert response.status_code == 403
    assert not FormSubmission.objects.exists()


@pytest.mark.parametrize("origin", ["https://www.example.com", "http://testserver"])
def test_a_post_from_an_allowed_origin_or_the_crm_itself_is_accepted(client, newsletter, origin):
    response = post(client, newsletter, headers={"Origin": origin})
    assert response.status_code == 200
    assert FormSubmission.objects.count() == 1


def test_the_eleventh_post_from_one_ip_within_a_minute_gets_429(client, newsletter):
    for n in range(10):
        assert post(client, newsletter, email=f"p{n}@example.com").status_code == 200
    response = post(client, newsletter, email="p10@example.com")
    assert response.status_code == 429
    assert FormSubmission.objects.count() == 10


def test_bad_input_re_renders_the_form_with_field_errors(client, newsletter):
    response = post(client, newsletter, email="not-an-email")
    html = response.content.decode()
    assert response.status_code == 200 and "form-thanks" not in html
    assert "Enter a valid email address." in html and 'value="Ann"' in html
    assert not FormSubmission.objects.exists()


def test_a_valid_post_creates_a_lead_from_the_web_form_and_a_second_updates_the_open_lead(client, newsletter):
    post(client, newsletter, message="Call me")
    lead = Lead.objects.get()
    assert (lead.email, lead.first_name, lead.source) == ("ann@example.com", "Ann", "web")
    assert lead.notes.startswith("web form: Newsletter") and "Call me" in lead.notes
    submission = FormSubmission.objects.get()
    assert submission.lead == lead and submission.data["email"] == "ann@example.com"

    post(client, newsletter, first_name="Annie", email="ANN@example.com")
    assert Lead.objects.count() == 1
    lead.refresh_from_db()
    assert lead.first_name == "Annie"
    assert FormSubmission.objects.filter(lead=lead).count() == 2


def test_a_new_lead_gets_its_owner_from_the_assignment_rules(client, newsletter, owner):
    from sales.tests.factories import AssignmentRuleFactory

    AssignmentRuleFactory(source="web", strategy="user", user=owner)
    post(client, newsletter)
    assert Lead.objects.get().owner == owner


def test_without_consent_no_confirmation_mail_is_sent(client, newsletter, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post(client, newsletter)
    assert mail.outbox == []


def test_ticked_consent_counts_only_once_the_mailed_link_is_confirmed_by_post(
    client, newsletter, django_capture_on_commit_callbacks
):
    customer = CustomerFactory(email="ann@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        post(client, newsletter, consent="on")
    [message] = mail.outbox
    assert message.to == ["ann@example.com"]
    url = next(word for word in message.body.split() if "/marketing/f/confirm/" in word)
    path = url.replace("http://testserver", "")

    response = client.get(path)  # a link scanner opening the mail
    assert response.status_code == 200 and b"<form" in response.content
    customer.refresh_from_db()
    assert customer.email_consent == Customer.Consent.UNKNOWN and not ConsentEvent.objects.exists()

    client.post(path)
    client.post(path)  # twice: still one consent event
    customer.refresh_from_db()
    assert customer.email_consent == Customer.Consent.OPTED_IN
    event = ConsentEvent.objects.get()
    assert (event.customer, event.source, event.status) == (customer, "form", "opted_in")
    assert FormSubmission.objects.get().consent_confirmed_at is not None


def test_confirming_without_a_customer_creates_one_with_the_consent(
    client, newsletter, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post(client, newsletter, consent="on")
    url = next(word for word in mail.outbox[0].body.split() if "/marketing/f/confirm/" in word)
    client.post(url.replace("http://testserver", ""))
    customer = Customer.objects.get(email="ann@example.com")
    assert (customer.first_name, customer.email_consent) == ("Ann", "opted_in")


def test_a_tampered_confirmation_link_is_not_found(client, newsletter):
    assert client.get("/marketing/f/confirm/nonsense/").status_code == 404
    assert client.post("/marketing/f/confirm/nonsense/").status_code == 404


def test_a_post_without_a_token_is_refused_with_a_clear_error_and_nothing_is_created(client, newsletter):
    response = post(client, newsletter, token="", headers={"Origin": "https://www.example.com"})
    html = response.content.decode()
    assert response.status_code == 400 and "form-thanks" not in html
    assert "arrived without its security token" in html
    assert not FormSubmission.objects.exists() and not Lead.objects.exists()


def test_a_bot_filling_the_honeypot_without_a_token_still_gets_the_thanks_page(client, newsletter):
    response = post(client, newsletter, token="", homepage="http://spam.example")
    assert response.status_code == 200 and b"form-thanks" in response.content
    assert not FormSubmission.objects.exists()


# --- the render token for plain-HTML embeds -----------------------------------------------------
def token_from(client, form, origin=None):
    headers = {"Origin": origin} if origin else {}
    return client.get(reverse("marketing:form-token", args=[form.slug]), headers=headers)


def test_the_token_endpoint_lets_an_allowed_site_read_a_fresh_token(client, newsletter):
    response = token_from(client, newsletter, "https://www.example.com")
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "https://www.example.com"
    assert "Origin" in response["Vary"] and "no-store" in response["Cache-Control"]
    assert render_token_check(newsletter, response.json()["token"]) == "fresh"


def test_the_token_endpoint_refuses_a_foreign_site_without_a_cors_header(client, newsletter):
    response = token_from(client, newsletter, "https://evil.example")
    assert response.status_code == 403
    assert "Access-Control-Allow-Origin" not in response
    assert "token" not in response.json()


def test_the_token_endpoint_answers_the_crm_itself_without_a_cors_header(client, newsletter):
    response = token_from(client, newsletter)
    assert response.status_code == 200 and "Access-Control-Allow-Origin" not in response
    assert response.json()["token"]


def test_the_token_endpoint_of_an_unpublished_or_unknown_form_is_not_found(client, newsletter):
    newsletter.is_published = False
    newsletter.save()
    assert token_from(client, newsletter, "https://www.example.com").status_code == 404
    assert client.get("/marketing/f/nothing-here/token/").status_code == 404


def test_the_token_endpoint_takes_only_get(client, newsletter):
    assert client.post(reverse("marketing:form-token", args=[newsletter.slug])).status_code == 405


def test_the_thirty_first_token_from_one_ip_within_a_minute_gets_429(client, newsletter):
    for _n in range(30):
        assert token_from(client, newsletter, "https://www.example.com").status_code == 200
    response = token_from(client, newsletter, "https://www.example.com")
    assert response.status_code == 429
    assert response["Access-Control-Allow-Origin"] == "https://www.example.com"  # the site's script can read why


def test_a_plain_html_post_with_a_fetched_token_is_refused_within_two_seconds_and_accepted_after(
    client, newsletter, time_machine
):
    start = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    time_machine.move_to(start, tick=False)
    token = token_from(client, newsletter, "https://www.example.com").json()["token"]
    site = {"Origin": "https://www.example.com"}

    time_machine.move_to(start + timedelta(seconds=1.5), tick=False)
    response = post(client, newsletter, token=token, headers=site)
    assert b"form-thanks" in response.content  # a bot learns nothing
    assert not FormSubmission.objects.exists() and not Lead.objects.exists()

    time_machine.move_to(start + timedelta(seconds=2.5), tick=False)
    response = post(client, newsletter, token=token, headers=site)
    assert response.status_code == 200 and b"form-thanks" in response.content
    assert FormSubmission.objects.count() == 1
    assert Lead.objects.get().email == "ann@example.com"


def test_the_missing_token_error_reads_in_the_visitors_language(client, newsletter):
    response = post(client, newsletter, token="", headers={"Accept-Language": "tr"})
    assert response.status_code == 400
    assert "güvenlik belirteci olmadan geldi" in response.content.decode()
