"""The global search's customer and company sections."""

import pytest

from customers.selectors.search import companies_section, customers_section

from .factories import CompanyFactory, CustomerFactory

pytestmark = pytest.mark.django_db


def labels(section) -> list[str]:
    return [result.label for result in section.results]


def test_the_customer_section_finds_the_owners_customer_and_not_an_outsiders(owner, outsider):
    CustomerFactory(owner=owner, first_name="Ada", last_name="Lovelace")
    CustomerFactory(owner=outsider, first_name="Bea", last_name="Lovelace")
    assert labels(customers_section(user=owner, query="lovelace", limit=5)) == ["Ada Lovelace"]
    assert labels(customers_section(user=outsider, query="lovelace", limit=5)) == ["Bea Lovelace"]


def test_a_support_agent_finds_customers_the_way_the_customer_list_shows_them(owner, agent):
    CustomerFactory(owner=owner, last_name="Lovelace")
    assert len(customers_section(user=agent, query="lovelace", limit=5).results) == 1


def test_an_exact_email_comes_before_emails_that_start_with_the_query(owner):
    CustomerFactory(owner=owner, first_name="Zed", last_name="Adams", email="adam@example.community")
    exact = CustomerFactory(owner=owner, first_name="Zoe", last_name="Zulu", email="adam@example.com")
    section = customers_section(user=owner, query="Adam@example.com", limit=5)
    assert labels(section) == ["Zoe Zulu", "Zed Adams"]
    assert section.results[0].url == exact.get_absolute_url()


def test_two_characters_match_the_start_of_a_name_only(owner):
    CustomerFactory(owner=owner, first_name="Ada", last_name="King", email="k@example.com")
    CustomerFactory(owner=owner, first_name="Linda", last_name="Mader", email="m@example.com")
    assert labels(customers_section(user=owner, query="ad", limit=5)) == ["Ada King"]


def test_a_customer_is_found_by_the_company_they_work_for(owner):
    acme = CompanyFactory(name="Acme Rockets", owner=owner)
    CustomerFactory(owner=owner, first_name="Wile", last_name="Coyote", company=acme)
    assert labels(customers_section(user=owner, query="rockets", limit=5)) == ["Wile Coyote"]


def test_the_company_section_finds_visible_companies_only(owner, outsider):
    CompanyFactory(name="Lovelace Analytics", owner=owner)
    CompanyFactory(name="Lovelace Labs", owner=outsider)
    section = companies_section(user=owner, query="lovelace", limit=5)
    assert labels(section) == ["Lovelace Analytics"]
    assert section.more_url == "/customers/companies/?q=lovelace"
