"""One search for everything: the kernel's ranking, the page and the top bar's dropdown."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm_project.search import CONTAINS, EXACT, PREFIX, SearchResult, rank, ranked
from customers.tests.factories import CompanyFactory, CustomerFactory
from sales.tests.factories import DealFactory, LeadFactory, OrderFactory, TaskFactory


@pytest.mark.parametrize(
    ("query", "values", "exact", "expected"),
    [
        ("bo-7", (), ("BO-7",), EXACT),
        ("bo-7", (), ("BO-77",), PREFIX),
        ("adams", ("Expansion – Adams",), (), PREFIX),
        ("dams", ("Expansion – Adams",), (), CONTAINS),
    ],
)
def test_rank_puts_exact_references_before_prefixes_before_the_rest(query, values, exact, expected):
    assert rank(query, *values, exact=exact) == expected


def test_ranked_orders_by_rank_then_label_and_drops_repeats():
    results = [
        SearchResult(kind="order", label="b", url="/2", rank=CONTAINS),
        SearchResult(kind="order", label="z", url="/1", rank=EXACT),
        SearchResult(kind="order", label="a", url="/3", rank=CONTAINS),
        SearchResult(kind="order", label="z", url="/1", rank=PREFIX),
    ]
    assert [r.url for r in ranked(results, limit=5)] == ["/1", "/3", "/2"]


@pytest.fixture
def adams_everywhere(owner):
    customer = CustomerFactory(owner=owner, first_name="John", last_name="Adams")
    CompanyFactory(owner=owner, name="Adams Family Office")
    LeadFactory(owner=owner, first_name="Abigail", last_name="Adams")
    DealFactory(owner=owner, customer=customer, title="Expansion – Adams")
    OrderFactory(customer=customer, order_ref="ADAMS-1")
    TaskFactory(owner=owner, title="Call Adams")
    return customer


def test_the_search_page_shows_every_kind_in_its_own_section(client_for, owner, adams_everywhere):
    content = client_for(owner).get(reverse("search"), {"q": "adams"}).content.decode()
    for title, label in [
        ("Customers", "John Adams"),
        ("Companies", "Adams Family Office"),
        ("Leads", "Abigail Adams"),
        ("Deals", "Expansion – Adams"),
        ("Orders", "ADAMS-1"),
        ("Tasks", "Call Adams"),
    ]:
        assert f'id="search-section-{title[:-1].lower().replace("companie", "company")}"' in content, title
        assert label in content


def test_the_section_with_an_exact_reference_comes_first(client_for, owner, adams_everywhere):
    OrderFactory(customer=adams_everywhere, order_ref="Adams")
    content = client_for(owner).get(reverse("search"), {"q": "adams"}).content.decode()
    assert content.index('id="search-section-order"') < content.index('id="search-section-customer"')


def test_an_outsider_finds_none_of_it(client_for, outsider, adams_everywhere):
    content = client_for(outsider).get(reverse("search"), {"q": "adams"}).content.decode()
    assert "Adams" not in content.split('id="search-summary"')[1]
    assert "Nothing found." in content


def test_the_dropdown_offers_results_grouped_by_kind_as_options(client_for, owner, adams_everywhere):
    response = client_for(owner).get(reverse("search-suggest"), {"q": "adams"})
    content = response.content.decode()
    assert response.status_code == 200
    assert content.count('role="group"') == 6
    assert 'role="option"' in content and "Expansion – Adams" in content
    assert f'href="{reverse("search")}?q=adams"' in content  # "All results for …"


def test_the_dropdown_stays_empty_below_two_characters(client_for, owner, adams_everywhere):
    assert client_for(owner).get(reverse("search-suggest"), {"q": "a"}).content.decode().strip() == ""


def test_the_dropdown_says_when_nothing_was_found(client_for, owner):
    content = client_for(owner).get(reverse("search-suggest"), {"q": "zzzz"}).content.decode()
    assert "Nothing found." in content


def test_the_dropdown_asks_to_log_in(client):
    response = client.get(reverse("search-suggest"), {"q": "adams"})
    assert response.status_code == 302


# Session, user, roles (not for admins); per section one query, and one more where
# an exact reference or email is looked up on its own (customers, orders) or a
# company name narrows the customers. Agents get no lead, deal or task section.
# Tickets: one query for everyone (a number or an email adds its own lookup).
@pytest.mark.parametrize(("persona", "queries"), [("owner", 13), ("admin_user", 12), ("agent", 10)])
def test_the_dropdowns_queries_are_pinned(request, client_for, adams_everywhere, persona, queries):
    client = client_for(request.getfixturevalue(persona))
    client.get(reverse("search-suggest"), {"q": "adams"})  # warm the session
    with CaptureQueriesContext(connection) as captured:
        client.get(reverse("search-suggest"), {"q": "adams"})
    assert len(captured) == queries, [q["sql"][:120] for q in captured]


def test_the_search_page_speaks_turkish(client_for, owner, adams_everywhere):
    client = client_for(owner)
    client.post(reverse("set_language"), {"language": "tr", "next": "/"})
    content = client.get(reverse("search"), {"q": "adams"}).content.decode()
    assert "Fırsatlar" in content  # "Deals"
    assert "Listede aç: Siparişler" in content  # "Open in the list: Orders"
    assert "Arama önerileri" in content  # the top bar's dropdown label


def test_the_search_bench_times_the_dropdown_for_a_rep_and_an_admin_and_cleans_up(db):
    from io import StringIO

    from django.core.management import call_command

    from customers.models import Customer
    from sales.models import Order

    out = StringIO()
    call_command("bench_search", customers=50, orders=200, runs=2, stdout=out)
    printed = out.getvalue()
    assert "typeahead as bench-search-rep" in printed and "typeahead as bench-search-admin" in printed
    assert "p95" in printed
    assert not Customer.all_objects.filter(external_ref__startswith="BSEARCH-").exists()
    assert not Order.objects.exists()
