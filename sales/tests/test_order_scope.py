"""An order is visible exactly when its customer is, through the copy of the customer's owner and
team the database keeps on each order (Order.customer_owner, sales migration 0009): every way of
writing a customer or an order moves the order into the right scope at once, and a cached order
list shows it on the next request."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.selectors import team_for_owner
from crm_project.fragments import written_names
from customers.models import Customer
from customers.services import customers as customer_services
from customers.services.merge import customer_merge
from customers.tests.factories import CustomerFactory
from sales.models import Order
from sales.selectors.orders import order_get_for_user, order_list_for_user, order_totals
from sales.tests.factories import OrderFactory

pytestmark = pytest.mark.django_db

TRIGGERS = {
    "postgresql": {"sales_order_customer_scope", "sales_customer_order_scope"},
    "sqlite": {"sales_order_customer_scope_insert", "sales_order_customer_scope_update", "sales_customer_order_scope"},
}


def visible(user) -> set[int]:
    return set(order_list_for_user(user=user).values_list("pk", flat=True))


@pytest.fixture
def order(owner, team):
    return OrderFactory(customer=CustomerFactory(owner=owner, team=team), order_ref="A-1")


def test_a_new_order_takes_its_customers_owner_and_team(order, owner, team):
    order.refresh_from_db()
    assert (order.customer_owner, order.customer_team) == (owner, team)


def test_an_order_is_seen_by_its_customers_owner_and_team_manager_and_not_by_an_outsider(
    order, owner, manager, outsider, admin_user
):
    assert order.pk in visible(owner) and order.pk in visible(manager) and order.pk in visible(admin_user)
    assert order.pk not in visible(outsider)
    assert order_get_for_user(user=manager, pk=order.pk) == order


def reassign_by_service(customer, to, admin):
    customer_services.customer_reassign(customer=customer, owner=to, actor=admin)


def reassign_in_bulk(customer, to, admin):
    customer_services.customers_assign_owner(customers=Customer.objects.filter(pk=customer.pk), owner=to, actor=admin)


def reassign_by_raw_sql(customer, to, admin):
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE customers_customer SET owner_id = %s, team_id = %s WHERE id = %s",
            [to.pk, team_for_owner(to).pk, customer.pk],
        )


@pytest.mark.parametrize("reassign", [reassign_by_service, reassign_in_bulk, reassign_by_raw_sql])
def test_a_reassigned_customer_takes_its_orders_to_the_new_owners_scope(
    reassign, order, owner, manager, outsider, admin_user
):
    reassign(order.customer, outsider, admin_user)
    assert order.pk in visible(outsider)
    assert order.pk not in visible(owner) and order.pk not in visible(manager)
    order.refresh_from_db()
    assert (order.customer_owner, order.customer_team) == (outsider, team_for_owner(outsider))


def test_a_deleted_customers_orders_are_hidden_and_come_back_with_the_restore(order, owner, manager, admin_user):
    customer_services.customer_delete(customer=order.customer, actor=admin_user)
    assert order.pk not in visible(owner) and order.pk not in visible(manager) and order.pk not in visible(admin_user)
    # The scope itself is the customer's, deleted or not, for every role alike (the forecast's
    # figures start from it): only the lists leave the deleted customers' orders out.
    for user in (owner, manager, admin_user):
        assert Order.objects.visible_to(user).filter(pk=order.pk).exists()
    customer_services.customer_restore(customer=Customer.all_objects.get(pk=order.customer_id), actor=admin_user)
    assert order.pk in visible(owner) and order.pk in visible(manager) and order.pk in visible(admin_user)


def test_a_merge_moves_the_others_orders_into_the_survivors_scope(order, owner, outsider, admin_user):
    survivor = CustomerFactory(owner=outsider, team=team_for_owner(outsider), email="s@example.com")
    customer_merge(survivor=survivor, other=order.customer, field_values={}, actor=admin_user)
    assert order.pk in visible(outsider) and order.pk not in visible(owner)


def test_an_order_moved_to_another_customer_by_an_update_takes_that_customers_scope(order, owner, outsider):
    theirs = CustomerFactory(owner=outsider, team=team_for_owner(outsider))
    Order.objects.filter(pk=order.pk).update(customer=theirs)
    assert order.pk in visible(outsider) and order.pk not in visible(owner)


def test_the_copied_scope_cannot_be_written_around_the_customer(order, owner, outsider):
    """The columns are the customer's, whatever a statement sets: the trigger takes them from it."""
    Order.objects.filter(pk=order.pk).update(customer_owner=outsider, customer_team=None)
    assert order.pk in visible(owner) and order.pk not in visible(outsider)


def test_the_scope_triggers_exist_after_every_migration():
    """SQLite drops a table's triggers when Django rebuilds it for a field change: a later migration
    of the orders' or the customers' table must create them again (see sales migration 0009)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        names = {name for (name,) in cursor.fetchall()}
    assert TRIGGERS[connection.vendor] <= names


@pytest.mark.parametrize(
    ("sql", "orders_stale"),
    [
        ('UPDATE "customers_customer" SET "owner_id" = %s, "team_id" = %s WHERE "customers_customer"."id" = %s', True),
        ('UPDATE "customers_customer" SET "deleted_at" = %s WHERE "customers_customer"."id" = %s', True),
        ('UPDATE "customers_customer" SET "job_title" = %s WHERE "customers_customer"."id" = %s', False),
        # A version claim: the soft-delete filter reads deleted_at, the statement sets the version only.
        (
            'UPDATE "customers_customer" SET "version" = ("customers_customer"."version" + %s) '
            'WHERE ("customers_customer"."deleted_at" IS NULL AND "customers_customer"."id" = %s)',
            False,
        ),
        # A SET list with a subquery, or no WHERE: the whole statement is searched.
        (
            'UPDATE "customers_customer" SET "job_title" = (SELECT "x" FROM "t" WHERE "t"."owner_id" = %s) '
            'WHERE "customers_customer"."id" = %s',
            True,
        ),
        ('UPDATE "customers_customer" SET "team_id" = NULL', True),
        ("INSERT INTO customers_customer (owner_id) VALUES (%s) ON CONFLICT (id) DO UPDATE SET owner_id = 1", True),
    ],
)
def test_a_statement_that_may_change_a_customers_scope_makes_the_cached_order_lists_stale(sql, orders_stale):
    """The trigger fires on an UPDATE that sets the owner, the team or the deletion: such a statement
    bumps the orders' version too; one that only reads them leaves the order lists alone."""
    expected = {"customers.customer", "sales.order"} if orders_stale else {"customers.customer"}
    assert written_names(sql) == expected


def test_a_cached_order_list_shows_a_reassignment_that_changes_only_its_count(
    client_for, order, owner, team, manager, outsider, admin_user
):
    """The list shows one order a page; the second, on page 2, leaves the manager's scope. Its page
    and its rows are as before: only the count, read from the orders alone, tells."""
    later = OrderFactory(customer=CustomerFactory(owner=owner, team=team), order_ref="B-2")
    Order.objects.filter(pk=later.pk).update(ordered_at=order.ordered_at.replace(year=order.ordered_at.year - 1))
    client = client_for(manager)
    url = reverse("sales:order-list") + "?per_page=1"
    client.get(url)
    assert "of 2" in client.get(url).content.decode()
    customer_services.customer_reassign(customer=later.customer, owner=outsider, actor=admin_user)
    html = client.get(url).content.decode()
    assert "A-1" in html
    assert "of 2" not in html and "page=2" not in html, "one order left: one page, no pagination"


def test_the_totals_of_a_managers_orders_count_an_order_in_both_branches_of_the_scope_once(
    order, team, manager, outsider
):
    """The manager owns one customer of the team: its order is in the owner branch and the team
    branch (on PostgreSQL each branch is summed from its index, then their union)."""
    OrderFactory(customer=CustomerFactory(owner=manager, team=team), total=Decimal("40.00"))
    OrderFactory(customer=CustomerFactory(owner=outsider, team=team_for_owner(outsider)), total=Decimal("1000.00"))
    totals = order_totals(order_list_for_user(user=manager))
    assert [(total.currency, total.amount) for total in totals] == [(order.currency, Decimal("140.00"))]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite keeps no checks: a customer write draws again")
def test_an_edit_that_keeps_the_owner_leaves_the_order_counts_and_totals_unrun(client_for, order, owner, team, manager):
    """The edit of a customer of the team writes only its fields: the orders' version does not move,
    and the cached list's check re-runs only its by-id read, which names the shown orders' customers."""
    colleague = CustomerFactory(owner=owner, team=team)
    client = client_for(manager)
    url = reverse("sales:order-list")
    client.get(url)
    customer_services.customer_update(customer=colleague, actor=manager, first_name="Renamed")
    with CaptureQueriesContext(connection) as checked:
        html = client.get(url).content.decode()
    assert "A-1" in html
    statements = [query["sql"] for query in checked.captured_queries if '"sales_order"' in query["sql"]]
    assert statements, "the by-id read ran again"
    assert not any("COUNT(" in sql or "SUM(" in sql for sql in statements), statements


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite keeps no checks: a customer write draws again")
def test_an_edit_of_a_customer_field_the_order_list_does_not_show_runs_none_of_its_statements(
    client_for, order, owner, team, manager
):
    """The list's rows read only the names of the orders' customers (OrderTable.related_columns):
    a job title's edit leaves the cached list as it is, with no statement of it run again."""
    client = client_for(manager)
    url = reverse("sales:order-list")
    before = client.get(url).content.decode()
    customer_services.customer_update(customer=order.customer, actor=manager, job_title="Head of buying")
    with CaptureQueriesContext(connection) as checked:
        after = client.get(url).content.decode()
    assert not [query["sql"] for query in checked.captured_queries if '"sales_order"' in query["sql"]]
    assert _table(after) == _table(before)
    assert order.customer.full_name in _table(after)


def _table(html: str) -> str:
    return html[html.index('id="order-table"') : html.index("</table>")]
