"""Orders: a won deal's order, the order list and page, products, and the customer page's orders panel."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from customers.models import Interaction
from customers.tests.factories import CustomerFactory, InteractionFactory
from sales.models import Order, Product
from sales.panels import ORDERS_PANEL
from sales.services.orders import order_create_from_deal
from sales.tests.factories import (
    DealFactory,
    DealProductFactory,
    OrderFactory,
    OrderLineFactory,
    ProductFactory,
    stage_named,
    won_deal,
)


def when(day: int, month: int = 1, year: int = 2024) -> datetime:
    return datetime(year, month, day, 12, tzinfo=UTC)


# --- a won deal becomes an order ------------------------------------------------------------------
def test_a_won_deal_becomes_a_paid_order_with_one_line_per_product(owner):
    deal = won_deal(owner=owner, currency="USD")
    DealProductFactory(
        deal=deal, product=ProductFactory(name="Seats"), quantity=Decimal("3"), unit_price=Decimal("10.50")
    )
    DealProductFactory(deal=deal, product=ProductFactory(name="Setup"), quantity=Decimal("1"), unit_price=Decimal("99"))
    order = order_create_from_deal(deal=deal, actor=owner)
    assert (order.customer, order.deal, order.status, order.source) == (deal.customer, deal, "paid", "deal")
    assert (order.order_ref, order.currency, order.total) == (f"DEAL-{deal.pk}", "USD", Decimal("130.50"))
    assert [(line.description, line.quantity, line.unit_price, line.total) for line in order.lines.all()] == [
        ("Seats", Decimal("3.00"), Decimal("10.50"), Decimal("31.50")),
        ("Setup", Decimal("1.00"), Decimal("99.00"), Decimal("99.00")),
    ]
    assert order.ordered_at == deal.closed_at


def test_a_won_deal_without_products_becomes_one_line_for_its_amount(owner):
    deal = won_deal(owner=owner, title="Consulting", amount=Decimal("4200.00"))
    order = order_create_from_deal(deal=deal, actor=owner)
    line = order.lines.get()
    assert (line.description, line.quantity, line.total, order.total) == (
        "Consulting", Decimal("1.00"), Decimal("4200.00"), Decimal("4200.00")
    )  # fmt: skip


def test_creating_the_order_of_a_deal_twice_returns_the_first_order(owner):
    deal = won_deal(owner=owner)
    first = order_create_from_deal(deal=deal, actor=owner)
    second = order_create_from_deal(deal=deal, actor=owner)
    assert first == second
    assert Order.objects.count() == 1 and first.lines.count() == 1
    assert Interaction.objects.filter(action="order.created").count() == 1


@pytest.mark.parametrize("stage", ["Proposal", "Lost"])
def test_only_a_won_deal_becomes_an_order(owner, stage):
    deal = DealFactory(owner=owner, stage=stage_named(stage), lost_reason="Price")
    with pytest.raises(ValidationError):
        order_create_from_deal(deal=deal, actor=owner)
    assert not Order.objects.exists()


def test_the_new_order_is_on_the_customers_timeline(owner):
    deal = won_deal(owner=owner)
    order = order_create_from_deal(deal=deal, actor=owner)
    entry = Interaction.objects.get(customer=deal.customer, action="order.created")
    assert entry.data.items() >= {"order": order.pk, "deal": deal.pk, "ref": order.order_ref}.items()
    assert entry.user == owner and order.order_ref in entry.summary


def test_a_rep_creates_the_order_of_their_won_deal_with_one_click(client_for, owner):
    deal = won_deal(owner=owner)
    response = client_for(owner).post(reverse("sales:order-create-from-deal", args=[deal.pk]), follow=True)
    order = Order.objects.get(deal=deal)
    assert response.redirect_chain[-1][0] == reverse("sales:order-detail", args=[order.pk])
    assert f"Order DEAL-{deal.pk} was created" in response.content.decode()
    # The customer page's orders panel lists it.
    page = client_for(owner).get(deal.customer.get_absolute_url()).content.decode()
    assert f"DEAL-{deal.pk}" in page and 'id="customer-orders"' in page


def test_a_second_click_says_the_order_exists_and_creates_nothing(client_for, owner):
    deal = won_deal(owner=owner)
    client = client_for(owner)
    client.post(reverse("sales:order-create-from-deal", args=[deal.pk]))
    response = client.post(reverse("sales:order-create-from-deal", args=[deal.pk]), follow=True)
    assert "already became order" in response.content.decode()
    assert Order.objects.count() == 1


def test_an_open_deal_is_refused_with_a_message(client_for, owner):
    deal = DealFactory(owner=owner)
    response = client_for(owner).post(reverse("sales:order-create-from-deal", args=[deal.pk]))
    assert response.status_code == 302 and response.url == deal.get_absolute_url()
    assert not Order.objects.exists()


def test_creating_an_order_needs_a_post(client_for, owner):
    deal = won_deal(owner=owner)
    assert client_for(owner).get(reverse("sales:order-create-from-deal", args=[deal.pk])).status_code == 405


@pytest.mark.parametrize(("persona", "status"), [("teammate", 404), ("outsider", 404), ("agent", 403)])
def test_only_those_who_may_change_the_deal_create_its_order(client_for, owner, persona, status, request):
    deal = won_deal(owner=owner)
    user = request.getfixturevalue(persona)
    response = client_for(user).post(reverse("sales:order-create-from-deal", args=[deal.pk]))
    assert response.status_code == status
    assert not Order.objects.exists()


def test_a_manager_creates_the_order_of_a_team_deal(client_for, owner, manager):
    deal = won_deal(owner=owner)
    client_for(manager).post(reverse("sales:order-create-from-deal", args=[deal.pk]))
    assert Order.objects.get().deal == deal


# --- the order list and page -----------------------------------------------------------------
@pytest.fixture
def orders(owner, teammate, outsider):
    return {
        "owner": OrderFactory(customer=CustomerFactory(owner=owner, last_name="Ownerson"), order_ref="O-1"),
        "teammate": OrderFactory(customer=CustomerFactory(owner=teammate, last_name="Mateson"), order_ref="T-1"),
        "outsider": OrderFactory(customer=CustomerFactory(owner=outsider, last_name="Outman"), order_ref="X-1"),
    }


def listed(client, **params) -> set[str]:
    response = client.get(reverse("sales:order-list"), params)
    assert response.status_code == 200
    return {str(order) for order in response.context["table"].data}


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("owner", {"O-1"}),
        ("teammate", {"T-1"}),
        ("outsider", {"X-1"}),
        ("manager", {"O-1", "T-1"}),
        ("agent", {"O-1", "T-1", "X-1"}),
        ("admin_user", {"O-1", "T-1", "X-1"}),
    ],
)
def test_the_order_list_shows_the_orders_of_the_customers_one_sees(client_for, orders, persona, expected, request):
    assert listed(client_for(request.getfixturevalue(persona))) == expected


def test_orders_of_deleted_customers_are_hidden(client_for, orders, admin_user):
    orders["owner"].customer.deleted_at = timezone.now()
    orders["owner"].customer.save()
    client = client_for(admin_user)
    assert listed(client) == {"T-1", "X-1"}
    assert client.get(reverse("sales:order-detail", args=[orders["owner"].pk])).status_code == 404


def test_the_order_list_filters_by_status_source_search_customer_and_dates(client_for, admin_user, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    ada = CustomerFactory(last_name="Lovelace", external_ref="ADA")
    OrderFactory(customer=ada, order_ref="A", ordered_at=datetime(2024, 1, 31, 23, 30, tzinfo=UTC))  # Feb 1 in Berlin
    OrderFactory(customer=ada, order_ref="B", status="refunded", ordered_at=when(15))
    OrderFactory(order_ref="ZX-9", source="deal", ordered_at=when(20, 2))
    client = client_for(admin_user)
    assert listed(client, status="refunded") == {"B"}
    assert listed(client, source="deal") == {"ZX-9"}
    assert listed(client, q="lovelace") == {"A", "B"}
    assert listed(client, q="ZX-9") == {"ZX-9"}
    assert listed(client, customer=ada.pk) == {"A", "B"}
    assert listed(client, ordered_after="2024-02-01") == {"A", "ZX-9"}
    assert listed(client, ordered_before="2024-01-31") == {"B"}


def test_the_order_list_query_count_does_not_grow_with_rows(
    client_for, owner, django_assert_num_queries, list_count_queries
):
    client = client_for(owner)
    customer = CustomerFactory(owner=owner)
    OrderFactory.create_batch(3, customer=customer)
    client.get(reverse("sales:order-list"))  # warm up the session
    # Each measured request asks a query string not asked before: the list is drawn, not taken
    # from the cache (a write would also re-run its checked statements on PostgreSQL).
    # session, user, roles, the total (list_count_queries), rows, the footer's totals of the filtered set (one query,
    # per currency) (the saved views and the teams to share with come from the cache: crm_project/fragments.py)
    with django_assert_num_queries(5 + list_count_queries):
        client.get(reverse("sales:order-list"), {"page": 1})
    OrderFactory.create_batch(20, customer=CustomerFactory(owner=owner))
    with django_assert_num_queries(5 + list_count_queries):
        response = client.get(reverse("sales:order-list"), {"page": 1, "per_page": 25})
    assert len(response.context["table"].page.object_list) == 23


def order_footer(response) -> str:
    html = response.content.decode()
    return html[html.index("<tfoot") : html.index("</tfoot>")] if "<tfoot" in html else ""


def test_the_order_list_footer_totals_the_filtered_orders_per_currency(client_for, owner, outsider):
    mine = CustomerFactory(owner=owner)
    OrderFactory.create_batch(30, customer=mine, total=Decimal("10.00"), currency="EUR", status="paid")
    OrderFactory(customer=mine, total=Decimal("7.25"), currency="USD", status="refunded")
    OrderFactory(customer=CustomerFactory(owner=outsider), total=Decimal("5000.00"))  # not visible to the rep
    client = client_for(owner)
    response = client.get(reverse("sales:order-list"))
    assert len(response.context["table"].page.object_list) == 25
    footer = order_footer(response)
    assert '<span class="d-block text-nowrap" data-currency="EUR">300.00 EUR</span>' in footer
    assert '<span class="d-block text-nowrap" data-currency="USD">7.25 USD</span>' in footer
    footer = order_footer(client.get(reverse("sales:order-list"), {"status": "refunded"}))
    assert "7.25 USD" in footer
    assert "EUR" not in footer


def test_the_order_page_shows_its_lines_to_those_who_see_the_customer(client_for, owner, outsider, agent):
    order = OrderFactory(customer=CustomerFactory(owner=owner), total=Decimal("150.00"), currency="EUR")
    OrderLineFactory(
        order=order, description="Widget", quantity=Decimal("3"), unit_price=Decimal("50"), total=Decimal("150")
    )
    url = reverse("sales:order-detail", args=[order.pk])
    page = client_for(owner).get(url).content.decode()
    assert "Widget" in page and "150.00 EUR" in page
    assert client_for(agent).get(url).status_code == 200
    assert client_for(outsider).get(url).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client, orders):
    for url in (reverse("sales:order-list"), reverse("sales:order-detail", args=[orders["owner"].pk])):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response.url


# --- products ---------------------------------------------------------------------------------
def test_reps_read_the_products_but_do_not_change_them(client_for, owner):
    product = ProductFactory(name="Gadget")
    client = client_for(owner)
    page = client.get(reverse("sales:product-list"))
    assert "Gadget" in page.content.decode() and page.context["create_link"] is None
    assert client.get(reverse("sales:product-create")).status_code == 403
    edit = client.post(reverse("sales:product-edit", args=[product.pk]), {"name": "X", "sku": "X", "price": "1"})
    assert edit.status_code == 403
    assert Product.objects.get().name == "Gadget"


def test_a_manager_adds_and_edits_products(client_for, manager):
    client = client_for(manager)
    data = {"name": "Support plan", "sku": "SUP-1", "price": "49.90", "currency": "eur", "is_active": "on"}
    assert client.post(reverse("sales:product-create"), data).status_code == 302
    product = Product.objects.get(sku="SUP-1")
    assert (product.price, product.currency, product.is_active) == (Decimal("49.90"), "EUR", True)
    client.post(reverse("sales:product-edit", args=[product.pk]), {**data, "price": "59.90", "is_active": ""})
    product.refresh_from_db()
    assert (product.price, product.is_active) == (Decimal("59.90"), False)


def test_a_products_sku_is_unique(client_for, admin_user):
    ProductFactory(sku="DUP")
    response = client_for(admin_user).post(
        reverse("sales:product-create"), {"name": "Other", "sku": "DUP", "price": "1", "currency": "EUR"}
    )
    assert response.status_code == 200 and Product.objects.count() == 1


def test_the_product_list_filters_by_name_or_sku_and_active(client_for, owner):
    ProductFactory(name="Alpha", sku="A-1")
    ProductFactory(name="Beta", sku="B-1", is_active=False)
    client = client_for(owner)
    names = lambda **params: {p.name for p in client.get(reverse("sales:product-list"), params).context["table"].data}  # noqa: E731
    assert names(q="b-1") == {"Beta"}
    assert names(is_active="true") == {"Alpha"}


# --- the customer page's orders panel ------------------------------------------------------------
def render_panel(user, customer) -> str:
    request = RequestFactory().get("/")
    request.user = user
    return ORDERS_PANEL.render(request, customer)


def test_the_panel_totals_count_paid_orders_only(owner):
    customer = CustomerFactory(owner=owner)
    OrderFactory(customer=customer, total=Decimal("100.00"), ordered_at=when(10))
    OrderFactory(customer=customer, total=Decimal("50.50"), ordered_at=when(20))
    OrderFactory(customer=customer, total=Decimal("-30.00"), status="refunded", ordered_at=when(25))
    OrderFactory(customer=customer, total=Decimal("999.00"), status="cancelled", ordered_at=when(1))
    html = render_panel(owner, customer)
    assert 'data-total="paid-orders">2<' in html
    assert "150.50 EUR" in html  # revenue: the refunded and cancelled orders are not counted
    assert "75.25 EUR" in html  # average order value
    assert 'data-total="first">10 Jan 2024<' in html and 'data-total="last">20 Jan 2024<' in html
    assert "All 4 orders" in html and f"?customer={customer.pk}" in html


def test_the_panel_keeps_currencies_apart(owner):
    customer = CustomerFactory(owner=owner)
    OrderFactory(customer=customer, total=Decimal("10.00"), currency="EUR")
    OrderFactory(customer=customer, total=Decimal("20.00"), currency="USD")
    html = render_panel(owner, customer)
    assert "10.00 EUR" in html and "20.00 USD" in html and "30.00" not in html


def test_the_panel_lists_the_latest_ten_orders(owner):
    customer = CustomerFactory(owner=owner)
    for day in range(1, 13):
        OrderFactory(customer=customer, order_ref=f"R{day:02d}", ordered_at=when(day))
    html = render_panel(owner, customer)
    assert "R12" in html and "R03" in html and "R02" not in html and "R01" not in html


def test_the_panel_says_when_there_are_no_orders(owner):
    assert "No orders yet." in render_panel(owner, CustomerFactory(owner=owner))


def test_the_panel_query_count_does_not_grow_with_orders(owner, django_assert_num_queries):
    customer = CustomerFactory(owner=owner)
    OrderFactory(customer=customer)
    render_panel(owner, customer)  # the user's roles are read once and remembered
    with django_assert_num_queries(2):  # the latest orders, the totals
        render_panel(owner, customer)
    OrderFactory.create_batch(15, customer=customer, ordered_at=timezone.now() - timedelta(days=3))
    OrderFactory(customer=customer, currency="USD")
    with django_assert_num_queries(2):
        render_panel(owner, customer)


def test_the_product_list_query_count_does_not_grow_with_rows(
    client_for, manager, django_assert_num_queries, list_count_queries
):
    client = client_for(manager)
    ProductFactory.create_batch(2)
    client.get(reverse("sales:product-list"))
    # session, user, roles, the total (list_count_queries), rows (saved views and teams: from the cache)
    with django_assert_num_queries(4 + list_count_queries):
        client.get(reverse("sales:product-list"))
    ProductFactory.create_batch(20)
    with django_assert_num_queries(4 + list_count_queries):
        client.get(reverse("sales:product-list"))


# --- orders on the customer's timeline (CRM_TIMELINE_SOURCES) -----------------------------------
def test_orders_appear_on_the_timeline_in_time_order(client_for, owner, django_assert_num_queries):
    customer = CustomerFactory(owner=owner)
    now = timezone.now()
    InteractionFactory(customer=customer, summary="Older call", occurred_at=now - timedelta(days=3))
    OrderFactory(customer=customer, order_ref="SHOP-1", ordered_at=now - timedelta(days=2))
    InteractionFactory(customer=customer, summary="Newer call", occurred_at=now - timedelta(days=1))
    client = client_for(owner)
    client.get(reverse("customers:customer-detail", args=[customer.pk]))
    # the orders of the page load in one more query; the support panel's counts, marketing's
    # campaigns panel and analytics' lifetime-value panel one more each
    with django_assert_num_queries(18):
        response = client.get(reverse("customers:customer-detail", args=[customer.pk]))
    content = response.content.decode()
    newer, order, older = (content.index(text) for text in ("Newer call", "SHOP-1", "Older call"))
    assert newer < order < older
    for _ in range(30):
        OrderFactory(customer=customer, ordered_at=now - timedelta(days=10))
    with django_assert_num_queries(18):
        client.get(reverse("customers:customer-detail", args=[customer.pk]))
    page_two = client.get(reverse("customers:customer-timeline", args=[customer.pk]), {"page": 2})
    assert page_two.content.decode().count('data-kind="order"') == 13  # 33 entries: 20 on page one
