"""The customer list's own cell renderers (CustomerTable.cell_renderers) draw the same page
as django-tables2's per-cell path, column choices, languages and odd values included."""

import re

import pytest
from django.core.cache import cache
from django.urls import reverse

from analytics.tests.clv_factory import clv_run
from customers.tables import CustomerTable
from customers.tests.factories import CompanyFactory, CustomerFactory, TagFactory

pytestmark = pytest.mark.django_db

LIST = reverse("customers:customer-list")
# A masked CSRF token differs on every render.
TOKEN = re.compile(r'(csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]+"')


@pytest.fixture
def shown(owner):
    acme = CompanyFactory(name="Acme & <Sons>", owner=owner)
    ada = CustomerFactory(
        owner=owner,
        company=acme,
        email="",
        job_title="Buyer & co",
        lifecycle_stage="customer",
        email_consent="opted_in",
    )
    ada.tags.add(TagFactory(name="VIP <1>", color="#ff0000"), TagFactory(name="Şube"))
    script = CustomerFactory(
        owner=None, first_name="<script>", last_name="alert(1)</script>", phone="", country="", job_title=""
    )
    scored = CustomerFactory(owner=owner, lifecycle_stage="churned", email_consent="opted_out", email="a&b@example.com")
    clv_run(scores={ada: {"clv": "1234.50"}, scored: {"clv": "5.00"}})
    return script


def page(client, query: dict) -> str:
    cache.clear()  # the list's content is cached: draw it afresh
    response = client.get(LIST, query)
    assert response.status_code == 200
    return TOKEN.sub(r"\1…\"", response.content.decode())


@pytest.mark.parametrize("language", ["en", "tr"])
@pytest.mark.parametrize(
    "query",
    [{}, {"cols": "email,tags,clv"}, {"cols": "company,owner,created_at,lifecycle_stage"}, {"sort": "-created_at"}],
)
def test_the_customer_lists_page_is_the_same_html_as_django_tables2_draws(
    client_for, admin_user, shown, monkeypatch, language, query
):
    client = client_for(admin_user)
    client.post(reverse("set_language"), {"language": language, "next": "/"})
    ours = page(client, query)
    monkeypatch.delattr(CustomerTable, "cell_renderers")
    theirs = page(client, query)

    assert ours == theirs
    assert ours.count("<tr") >= 4  # the header and three customers


def test_a_customers_name_with_markup_is_escaped_in_the_list(client_for, admin_user, shown):
    html = page(client_for(admin_user), {})

    assert "&lt;script&gt; alert(1)&lt;/script&gt;" in html
    assert "<script> alert" not in html
    assert "Acme &amp; &lt;Sons&gt;" in html and "VIP &lt;1&gt;" in html
