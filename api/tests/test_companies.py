"""Companies through the API, scoped like the company pages."""

import pytest

from customers.models import Company
from customers.tests.factories import CompanyFactory

URL = "/api/v1/companies/"


@pytest.fixture
def company(owner):
    return CompanyFactory(owner=owner, name="Analytical Engines", industry="Computing")


@pytest.mark.parametrize(
    ("persona", "read", "write"),
    [
        ("owner", 200, 200),
        ("teammate", 404, 404),
        ("outsider", 404, 404),
        ("manager", 200, 200),
        ("agent", 200, 403),
        ("admin_user", 200, 200),
    ],
)
def test_companies_are_scoped_like_customers(request, api_client, company, persona, read, write):
    client = api_client(request.getfixturevalue(persona))
    assert client.get(f"{URL}{company.pk}/").status_code == read
    assert client.patch(f"{URL}{company.pk}/", {"notes": "edited"}, format="json").status_code == write


def test_a_rep_creates_a_company_and_the_domain_is_cleaned_like_the_form(api_client, owner):
    response = api_client(owner).post(URL, {"name": "Navy", "domain": "https://www.Navy.mil/"}, format="json")
    assert response.status_code == 201
    company = Company.objects.get(pk=response.json()["id"])
    assert (company.domain, company.owner) == ("navy.mil", owner)


def test_the_list_filters_with_the_company_pages_filter(api_client, owner, outsider, company):
    CompanyFactory(owner=owner, name="Navy", industry="Defence")
    CompanyFactory(owner=outsider, name="Analytical Rivals", industry="Computing")
    client = api_client(owner)
    assert [row["id"] for row in client.get(URL, {"q": "analytical"}).json()["results"]] == [company.pk]
    assert [row["id"] for row in client.get(URL, {"industry": "comput"}).json()["results"]] == [company.pk]


def test_a_stale_company_edit_is_a_409(api_client, owner, company):
    client = api_client(owner)
    version = company.version
    assert client.patch(f"{URL}{company.pk}/", {"name": "A", "version": version}, format="json").status_code == 200
    assert client.patch(f"{URL}{company.pk}/", {"name": "B", "version": version}, format="json").status_code == 409
    company.refresh_from_db()
    assert company.name == "A"


def test_deleting_a_company_is_soft(api_client, owner, company):
    assert api_client(owner).delete(f"{URL}{company.pk}/").status_code == 204
    assert Company.all_objects.get(pk=company.pk).deleted_at is not None
    assert not Company.objects.filter(pk=company.pk).exists()
