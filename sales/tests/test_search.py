"""The global search's sales sections: leads, deals, orders by reference, tasks."""

import pytest
from django.urls import reverse

from sales.selectors.search import deals_section, leads_section, orders_section, tasks_section

from .factories import CustomerFactory, DealFactory, LeadFactory, OrderFactory, TaskFactory

pytestmark = pytest.mark.django_db


def labels(section) -> list[str]:
    return [result.label for result in section.results]


def test_a_deal_is_found_by_its_title_by_its_owner_and_not_by_an_outsider(owner, outsider):
    deal = DealFactory(owner=owner, title="Expansion – Adams")
    section = deals_section(user=owner, query="adams", limit=5)
    assert [(r.label, r.url) for r in section.results] == [("Expansion – Adams", deal.get_absolute_url())]
    assert deals_section(user=outsider, query="adams", limit=5).results == []


def test_a_manager_finds_the_teams_deals(owner, manager):
    DealFactory(owner=owner, title="Expansion – Adams")
    assert labels(deals_section(user=manager, query="expansion", limit=5)) == ["Expansion – Adams"]


def test_support_agents_get_no_deal_or_lead_section(owner, agent):
    DealFactory(owner=owner, title="Expansion – Adams")
    LeadFactory(owner=owner, last_name="Adams")
    assert deals_section(user=agent, query="adams", limit=5) is None
    assert leads_section(user=agent, query="adams", limit=5) is None


def test_a_lead_is_found_by_name_email_or_company_and_not_by_an_outsider(owner, outsider):
    LeadFactory(owner=owner, first_name="Grace", last_name="Hopper", email="grace@navy.example", company_name="Navy")
    for query in ("hopper", "grace@navy.example", "navy"):
        assert labels(leads_section(user=owner, query=query, limit=5)) == ["Grace Hopper"], query
    assert leads_section(user=outsider, query="hopper", limit=5).results == []


def test_an_order_is_found_by_its_reference_and_not_by_an_outsider(owner, outsider):
    order = OrderFactory(customer=CustomerFactory(owner=owner), order_ref="SO-4711")
    section = orders_section(user=owner, query="so-4711", limit=5)
    assert [r.url for r in section.results] == [reverse("sales:order-detail", args=[order.pk])]
    assert orders_section(user=outsider, query="so-4711", limit=5).results == []


def test_support_agents_find_orders_as_the_order_pages_let_them(owner, agent):
    OrderFactory(customer=CustomerFactory(owner=owner), order_ref="SO-4711")
    assert labels(orders_section(user=agent, query="SO-4711", limit=5)) == ["SO-4711"]


def test_the_exact_order_reference_comes_first(owner):
    customer = CustomerFactory(owner=owner)
    for ref in ("BO-1000", "BO-100", "XBO-100", "BO-1001"):
        OrderFactory(customer=customer, order_ref=ref)
    section = orders_section(user=owner, query="BO-100", limit=3)
    assert labels(section) == ["BO-100", "BO-1000", "BO-1001"]
    assert [r.rank for r in section.results] == [0, 1, 1]


def test_an_exact_reference_is_first_even_when_many_references_contain_it(owner):
    customer = CustomerFactory(owner=owner)
    for number in range(30):
        OrderFactory(customer=customer, order_ref=f"A-{number}-BO-7")
    OrderFactory(customer=customer, order_ref="BO-7")
    assert labels(orders_section(user=owner, query="bo-7", limit=1)) == ["BO-7"]


def test_a_task_is_found_by_its_title_and_opens_its_form(owner, outsider, agent):
    task = TaskFactory(owner=owner, title="Call Adams about the renewal")
    section = tasks_section(user=owner, query="renewal", limit=5)
    assert [r.url for r in section.results] == [reverse("sales:task-edit", args=[task.pk])]
    assert tasks_section(user=outsider, query="renewal", limit=5).results == []
    assert tasks_section(user=agent, query="renewal", limit=5) is None


@pytest.mark.parametrize(
    ("model", "condition"),
    [
        ("sales.Deal", {"title__icontains": "adams"}),
        ("sales.Lead", {"company_name__icontains": "navy"}),
        ("sales.Lead", {"last_name__istartswith": "ho"}),
        ("sales.Order", {"order_ref__icontains": "so-47"}),
        ("sales.Order", {"order_ref__iexact": "so-4711"}),
        ("sales.Task", {"title__icontains": "renewal"}),
        ("customers.Customer", {"last_name__istartswith": "ad"}),
        ("customers.Company", {"name__icontains": "acme"}),
    ],
)
def test_on_postgresql_the_searched_columns_have_an_index_the_lookup_can_use(model, condition):
    from django.apps import apps
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("trigram indexes exist on PostgreSQL only")
    # The lookup alone, without a soft-delete filter: on an empty table an index that holds
    # deleted_at (the customer list's name index) answers that filter cheaper than any lookup;
    # at volume the planner takes the trigram index (see bench_lists).
    queryset = apps.get_model(model)._base_manager.filter(**condition).order_by().values("pk")
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a few test rows: otherwise the planner just scans
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "_trgm" in plan or "_upper" in plan, plan
