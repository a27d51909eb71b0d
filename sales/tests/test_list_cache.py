"""The order, deal, lead and task lists' content from the fragment cache (crm_project.lists.
CachedContentMixin): a warm list reads none of its rows, every way of writing what it shows
(services, bulk actions, status changes, imports and their Celery task, raw SQL) shows on the
very next request, and what depends on the clock (a deal's or a task's "Overdue") is never late."""

import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from accounts.tests.factories import UserFactory
from customers.models import Customer
from customers.services import customers as customer_services
from customers.tests.factories import CustomerFactory
from sales.models import Lead, Order
from sales.services import leads as lead_services
from sales.services import orders as order_services
from sales.services import todos as task_services
from sales.services.deals import deal_create, deal_move_stage, deal_update
from sales.services.order_import import orders_import, orders_import_store
from sales.tasks import orders_import_file
from sales.tests.factories import DealFactory, LeadFactory, OrderFactory, TaskFactory, stage_named

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("early_in_a_minute")]

ORDERS = reverse("sales:order-list")
DEALS = reverse("sales:deal-list")
LEADS = reverse("sales:lead-list")
TASKS = reverse("sales:task-list")


def rows(client, url: str, **params) -> str:
    """The list's rows: the HTML of its table's body (the filter bar names owners too)."""
    html = client.get(url, params).content.decode()
    return html[html.index("<tbody") : html.index("</tbody>")]


def reads(captured, table: str) -> bool:
    return any(f'"{table}"' in query["sql"] for query in captured.captured_queries)


def warm(client, url: str, table: str, **params) -> str:
    """The list, asked twice: the second answer must come from the cache (no row read)."""
    rows(client, url, **params)
    with CaptureQueriesContext(connection) as captured:
        html = rows(client, url, **params)
    assert not reads(captured, table), "the list was drawn again, not taken from the cache"
    return html


def drawn_again(client, url: str, table: str, **params) -> bool:
    with CaptureQueriesContext(connection) as captured:
        rows(client, url, **params)
    return reads(captured, table)


# --- orders -----------------------------------------------------------------------------------------
def test_a_warm_order_list_reads_no_order_and_a_manual_order_shows_at_once(client_for, owner):
    customer = CustomerFactory(owner=owner)
    client = client_for(owner)
    assert "SO-1" not in warm(client, ORDERS, "sales_order")
    line = order_services.OrderLineData(quantity=Decimal(1), unit_price=Decimal("10.00"), description="Box")
    order_services.order_create(
        actor=owner, customer=customer, ordered_at=timezone.now(), lines=[line], order_ref="SO-1"
    )
    assert "SO-1" in rows(client, ORDERS)


def test_an_order_refunded_shows_its_status_at_once(client_for, owner):
    order = OrderFactory(customer=CustomerFactory(owner=owner), order_ref="SO-1")
    client = client_for(owner)
    assert "Refunded" not in warm(client, ORDERS, "sales_order")
    order_services.order_update(order=order, actor=owner, status=Order.Status.REFUNDED)
    assert "Refunded" in rows(client, ORDERS)


def test_a_won_deals_order_shows_at_once(client_for, owner):
    deal = DealFactory(owner=owner, title="Fleet renewal")
    deal_move_stage(deal=deal, stage=stage_named("Won"), actor=owner)
    client = client_for(owner)
    assert "Won deal" not in warm(client, ORDERS, "sales_order")
    order_services.order_create_from_deal(deal=deal, actor=owner)
    assert "Won deal" in rows(client, ORDERS)


def test_orders_an_import_creates_show_at_once(client_for, admin_user):
    CustomerFactory(external_ref="C-1")
    client = client_for(admin_user)
    warm(client, ORDERS, "sales_order")
    data = b"customer_ref,ordered_at,total,order_ref\nC-1,2024-05-01,10,IMP-1\n"
    orders_import(source=io.BytesIO(data), filename="orders.csv", actor=admin_user)
    assert "IMP-1" in rows(client, ORDERS)


def test_orders_the_import_job_creates_show_at_once(client_for, manager, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    CustomerFactory(external_ref="C-1", owner=manager)
    client = client_for(manager)
    warm(client, ORDERS, "sales_order")
    data = b"customer_ref,ordered_at,total,order_ref\nC-1,2024-05-01,1,JOB-1\n"
    stored = orders_import_store(upload=SimpleUploadedFile("o.csv", data))
    orders_import_file.apply(kwargs={"file_name": stored, "filename": "o.csv", "options": {}, "actor_id": manager.pk})
    assert "JOB-1" in rows(client, ORDERS)


def test_a_renamed_customer_shows_in_the_order_list_at_once(client_for, owner):
    customer = CustomerFactory(owner=owner, last_name="Lovelace")
    OrderFactory(customer=customer)
    client = client_for(owner)
    assert "Lovelace" in warm(client, ORDERS, "sales_order")
    customer_services.customer_update(customer=customer, actor=owner, last_name="Byron")
    assert "Byron" in rows(client, ORDERS)


def test_a_deleted_customers_orders_leave_the_list_at_once(client_for, owner):
    customer = CustomerFactory(owner=owner)
    OrderFactory(customer=customer, order_ref="SO-1")
    client = client_for(owner)
    assert "SO-1" in warm(client, ORDERS, "sales_order")
    customer_services.customer_delete(customer=customer, actor=owner)
    assert "SO-1" not in rows(client, ORDERS)


def test_orders_of_customers_handed_to_another_team_leave_a_managers_list_at_once(client_for, manager, owner, outsider):
    OrderFactory(customer=CustomerFactory(owner=owner), order_ref="SO-1")
    client = client_for(manager)
    assert "SO-1" in warm(client, ORDERS, "sales_order")
    customer_services.customers_assign_owner(customers=Customer.objects.all(), owner=outsider, actor=manager)
    assert "SO-1" not in rows(client, ORDERS)


# --- deals ------------------------------------------------------------------------------------------
def test_a_new_deal_shows_in_the_deal_list_at_once(client_for, owner):
    customer = CustomerFactory(owner=owner)
    client = client_for(owner)
    warm(client, DEALS, "sales_deal")
    deal_create(actor=owner, title="Fleet renewal", customer=customer, owner=owner)
    assert "Fleet renewal" in rows(client, DEALS)


def test_an_edited_deal_shows_at_once(client_for, owner):
    deal = DealFactory(owner=owner, title="Fleet renewal")
    client = client_for(owner)
    warm(client, DEALS, "sales_deal")
    deal_update(deal=deal, actor=owner, title="Fleet expansion")
    assert "Fleet expansion" in rows(client, DEALS)


def test_a_deal_moved_to_won_shows_its_status_at_once(client_for, owner):
    deal = DealFactory(owner=owner)
    client = client_for(owner)
    assert ">Won</span>" not in warm(client, DEALS, "sales_deal")
    deal_move_stage(deal=deal, stage=stage_named("Won"), actor=owner)
    assert ">Won</span>" in rows(client, DEALS)


def test_a_deal_a_lead_conversion_opens_shows_at_once(client_for, owner):
    lead = LeadFactory(owner=owner, last_name="Hopper", company_name="Navy")
    client = client_for(owner)
    warm(client, DEALS, "sales_deal")
    lead_services.lead_convert(lead=lead, actor=owner, create_deal=True)
    assert "Hopper" in rows(client, DEALS)


def test_a_deal_turns_overdue_on_the_day_after_its_close_date_without_a_write(client_for, owner, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    DealFactory(owner=owner, expected_close_date=timezone.localdate())
    client = client_for(owner)
    assert 'data-testid="close-overdue"' not in warm(client, DEALS, "sales_deal")
    time_machine.shift(timedelta(days=1))
    assert 'data-testid="close-overdue"' in rows(client, DEALS)


# --- leads ------------------------------------------------------------------------------------------
def test_a_new_lead_shows_in_the_lead_list_at_once(client_for, owner):
    client = client_for(owner)
    warm(client, LEADS, "sales_lead")
    lead_services.lead_create(actor=owner, owner=owner, last_name="Hopper")
    assert "Hopper" in rows(client, LEADS)


def test_an_edited_lead_shows_at_once(client_for, owner):
    lead = LeadFactory(owner=owner, last_name="Hopper")
    client = client_for(owner)
    warm(client, LEADS, "sales_lead")
    lead_services.lead_update(lead=lead, actor=owner, last_name="Lovelace")
    assert "Lovelace" in rows(client, LEADS)


def test_a_lead_status_change_shows_at_once(client_for, owner):
    lead = LeadFactory(owner=owner)
    client = client_for(owner)
    assert "Qualified" not in warm(client, LEADS, "sales_lead")
    lead_services.lead_set_status(lead=lead, status=Lead.Status.QUALIFIED, actor=owner)
    assert "Qualified" in rows(client, LEADS)


def test_a_converted_lead_shows_its_status_at_once(client_for, owner):
    lead = LeadFactory(owner=owner)
    client = client_for(owner)
    assert "Converted" not in warm(client, LEADS, "sales_lead")
    lead_services.lead_convert(lead=lead, actor=owner)
    assert "Converted" in rows(client, LEADS)


def test_a_bulk_reassignment_shows_at_once(client_for, manager, owner, teammate):
    LeadFactory(owner=owner, last_name="Hopper")
    client = client_for(manager)
    assert "Tom" not in warm(client, LEADS, "sales_lead")
    lead_services.leads_reassign(leads=Lead.objects.all(), owner=teammate, actor=manager)
    assert "Tom" in rows(client, LEADS)


@pytest.mark.parametrize(
    ("make", "list_url", "table"),
    [
        (lambda owner: OrderFactory(customer=CustomerFactory(owner=owner), order_ref="Hopper"), ORDERS, "sales_order"),
        (lambda owner: LeadFactory(owner=owner, last_name="Hopper"), LEADS, "sales_lead"),
    ],
    ids=["order", "lead"],
)
# Not `page`: pytest-playwright's fixture of that name would make it a browser test (and order it with them).
def test_a_row_deleted_in_raw_sql_leaves_its_list_at_once(client_for, owner, make, list_url, table):
    row = make(owner)
    client = client_for(owner)
    assert "Hopper" in warm(client, list_url, table)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE id = %s", [row.pk])  # noqa: S608 - the test's own table names
    assert "Hopper" not in rows(client, list_url)


# --- tasks ------------------------------------------------------------------------------------------
def test_a_new_task_shows_in_the_task_list_at_once(client_for, owner):
    client = client_for(owner)
    warm(client, TASKS, "sales_task")
    task_services.task_create(actor=owner, title="Call Ada", due_at=timezone.now() + timedelta(days=1))
    assert "Call Ada" in rows(client, TASKS)


def test_an_edited_task_shows_at_once(client_for, owner):
    task = TaskFactory(owner=owner, title="Call Ada", due_at=timezone.now() + timedelta(days=1))
    client = client_for(owner)
    warm(client, TASKS, "sales_task")
    task_services.task_update(task=task, actor=owner, title="Call Grace")
    assert "Call Grace" in rows(client, TASKS)


def test_a_task_completed_from_the_list_leaves_the_open_tasks_and_comes_back_reopened(client_for, owner):
    task = TaskFactory(owner=owner, title="Call Ada", due_at=timezone.now() + timedelta(days=1))
    client = client_for(owner)
    assert "Call Ada" in warm(client, TASKS, "sales_task")
    client.post(reverse("sales:task-complete", args=[task.pk]))
    assert "Call Ada" not in rows(client, TASKS)
    client.post(reverse("sales:task-reopen", args=[task.pk]))
    assert "Call Ada" in rows(client, TASKS)


def test_a_task_turns_overdue_at_its_due_time_even_within_the_minute(client_for, owner, time_machine):
    """The key holds the minute; a page with a task falling due later in that minute is not kept."""
    minute = timezone.now().replace(second=0, microsecond=0) + timedelta(minutes=1)
    time_machine.move_to(minute + timedelta(seconds=10), tick=False)
    TaskFactory(owner=owner, title="Call Ada", due_at=minute + timedelta(seconds=40))
    client = client_for(owner)
    assert "Overdue" not in rows(client, TASKS)
    assert drawn_again(client, TASKS, "sales_task")
    time_machine.move_to(minute + timedelta(seconds=50), tick=False)
    assert "Overdue" in rows(client, TASKS)


def test_a_task_due_in_a_later_minute_is_kept_and_turns_overdue_with_the_minute(client_for, owner, time_machine):
    minute = timezone.now().replace(second=0, microsecond=0) + timedelta(minutes=1)
    time_machine.move_to(minute + timedelta(seconds=10), tick=False)
    TaskFactory(owner=owner, title="Call Ada", due_at=minute + timedelta(minutes=1, seconds=30))
    client = client_for(owner)
    assert "Overdue" not in warm(client, TASKS, "sales_task")
    time_machine.move_to(minute + timedelta(minutes=1, seconds=40), tick=False)
    assert "Overdue" in rows(client, TASKS)


def test_the_overdue_filter_is_never_kept(client_for, owner):
    """Its set is `due < now`: any task of the user's may join it within the minute."""
    TaskFactory(owner=owner, title="Call Ada", due_at=timezone.now() - timedelta(hours=1))
    client = client_for(owner)
    rows(client, TASKS, when="overdue")
    assert drawn_again(client, TASKS, "sales_task", when="overdue")


def menu_labels(client, url: str, element_id: str) -> list[str]:
    html = client.get(url).content.decode()
    select = html[html.index(f'id="{element_id}"') : html.index("</select>", html.index(f'id="{element_id}"'))]
    return re.findall(r"<option[^>]*>([^<]*)</option>", select)


def test_the_deal_filter_bar_is_kept_and_a_renamed_stage_shows_in_it_at_once(client_for, manager):
    """DealListView.filter_bar_cached: its menus (stages, owners, teams) are read once; a stage's
    rename, a watched write, draws the bar again."""
    client = client_for(manager)
    stage = stage_named("Proposal")
    client.get(DEALS)
    with CaptureQueriesContext(connection) as kept:
        assert any("Proposal" in label for label in menu_labels(client, DEALS, "id_stage"))
    assert not [query for query in kept.captured_queries if '"sales_stage"' in query["sql"]]
    stage.name = "Offer sent"
    stage.save()
    labels = menu_labels(client, DEALS, "id_stage")
    assert any("Offer sent" in label for label in labels)
    assert not any("Proposal" in label for label in labels)


def test_a_new_rep_shows_in_the_kept_lead_filter_bar_at_once(client_for, manager, team):
    client = client_for(manager)
    client.get(LEADS)
    newcomer = UserFactory(first_name="Nuran", last_name="Yeni", role=roles.SALES_REP)
    team.members.add(newcomer)
    assert any("Nuran" in label for label in menu_labels(client, LEADS, "id_owner"))


def test_the_order_filter_bar_keeps_the_filters_of_each_query(client_for, owner):
    client = client_for(owner)
    client.get(ORDERS)
    assert 'name="q" value="A-7"' in client.get(ORDERS, {"q": "A-7"}).content.decode()
    assert 'name="q" value="A-7"' not in client.get(ORDERS).content.decode()
