"""/api/v1/orders/ (with upsert by order_ref) and /api/v1/products/ through a token."""

from decimal import Decimal

import pytest
from django.utils import timezone

from accounts import roles
from accounts.tests.factories import UserFactory
from api.representations import represent
from customers.models import Interaction
from customers.tests.factories import CustomerFactory
from sales.models import CustomerStats, Order, Product
from sales.tests.factories import OrderFactory, OrderLineFactory, ProductFactory

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/orders/"
PRODUCTS = "/api/v1/products/"


def by_ref(ref: str) -> str:
    return f"{ORDERS}by-ref/{ref}/"


def order_body(customer, **overrides) -> dict:
    body = {
        "customer": customer.pk,
        "ordered_at": timezone.now().isoformat(),
        "lines": [{"description": "Widget", "quantity": "2", "unit_price": "10.00"}],
    }
    return {**body, **overrides}


@pytest.fixture
def other_manager(other_team):
    user = UserFactory(username="otto", role=roles.MANAGER)
    other_team.manager = user
    other_team.save(update_fields=["manager"])
    return user


# --- reading --------------------------------------------------------------------------------
def test_orders_are_listed_with_their_customers_scope(api_client, owner, teammate, manager, outsider, agent):
    mine = OrderFactory(customer=CustomerFactory(owner=owner), order_ref="MINE")
    OrderFactory(customer=CustomerFactory(owner=teammate), order_ref="TOMS")
    OrderFactory(customer=CustomerFactory(owner=outsider), order_ref="OSCARS")

    def refs(user) -> set[str]:
        return {row["order_ref"] for row in api_client(user).get(ORDERS).json()["results"]}

    assert refs(owner) == {"MINE"}
    assert refs(manager) == {"MINE", "TOMS"}
    assert refs(agent) == {"MINE", "TOMS", "OSCARS"}  # agents read every customer's orders
    assert api_client(outsider).get(f"{ORDERS}{mine.pk}/").status_code == 404


def test_an_outsider_gets_an_empty_list(api_client, owner, outsider):
    OrderFactory(customer=CustomerFactory(owner=owner))

    assert api_client(outsider).get(ORDERS).json()["results"] == []


def test_an_order_shows_its_lines_and_expands_its_customer(api_client, owner):
    order = OrderFactory(customer=CustomerFactory(owner=owner, last_name="Yilmaz"))
    OrderLineFactory(order=order, description="Widget")

    row = api_client(owner).get(f"{ORDERS}{order.pk}/", {"expand": "customer"}).json()

    assert [line["description"] for line in row["lines"]] == ["Widget"]
    assert row["customer"]["last_name"] == "Yilmaz"


def test_the_list_takes_the_order_pages_filters(api_client, admin_user):
    customer = CustomerFactory(last_name="Yilmaz")
    OrderFactory(customer=customer, order_ref="A-1", status=Order.Status.REFUNDED)
    OrderFactory(order_ref="B-2")
    client = api_client(admin_user)

    def refs(**params) -> list[str]:
        return [row["order_ref"] for row in client.get(ORDERS, params).json()["results"]]

    assert refs(q="yilmaz") == ["A-1"]
    assert refs(q="B-2") == ["B-2"]
    assert refs(status="refunded") == ["A-1"]
    assert refs(customer=customer.pk) == ["A-1"]


@pytest.mark.parametrize("rows", [2, 6])
def test_the_order_list_takes_the_same_queries_whatever_its_length(
    api_client, manager, owner, rows, django_assert_num_queries
):
    for _ in range(rows):
        OrderLineFactory(order=OrderFactory(customer=CustomerFactory(owner=owner)))
    client = api_client(manager)
    client.get(ORDERS)  # the token's first use records it

    # token, roles and teams, the page (customers expanded), the customers' tags, the lines
    with django_assert_num_queries(5):
        response = client.get(ORDERS, {"expand": "customer"})
    assert len(response.json()["results"]) == rows


# --- creating -------------------------------------------------------------------------------
def test_a_manager_records_an_order_with_lines_through_the_service(api_client, manager, owner):
    customer = CustomerFactory(owner=owner)

    response = api_client(manager).post(ORDERS, order_body(customer, order_ref="SHOP-1"), format="json")

    assert response.status_code == 201
    order = Order.objects.get()
    assert (order.order_ref, order.total, order.source) == ("SHOP-1", Decimal("20.00"), Order.Source.MANUAL)
    assert response.json()["lines"][0]["total"] == "20.00"
    assert CustomerStats.objects.get(customer=customer).order_count == 1
    assert Interaction.objects.filter(customer=customer, action="order.created", data__order=order.pk).exists()


def test_reps_and_agents_do_not_write_orders(api_client, owner, agent):
    customer = CustomerFactory(owner=owner)

    assert api_client(owner).post(ORDERS, order_body(customer), format="json").status_code == 403
    assert api_client(agent).put(by_ref("X"), order_body(customer), format="json").status_code == 403
    assert not Order.objects.exists()


def test_a_validation_error_names_the_field_and_creates_nothing(api_client, manager, owner):
    customer = CustomerFactory(owner=owner)
    client = api_client(manager)

    no_lines = client.post(ORDERS, order_body(customer, lines=[]), format="json")
    bad_quantity = client.post(
        ORDERS, order_body(customer, lines=[{"description": "X", "quantity": "0", "unit_price": "1"}]), format="json"
    )
    negative = client.post(
        ORDERS, order_body(customer, lines=[{"description": "X", "quantity": "1", "unit_price": "-1"}]), format="json"
    )

    assert no_lines.status_code == 400 and no_lines.json()["errors"][0]["attr"].startswith("lines")
    assert bad_quantity.status_code == 400 and bad_quantity.json()["errors"][0]["attr"] == "lines.0.quantity"
    assert negative.status_code == 400 and negative.json()["errors"][0]["attr"] == "lines"
    assert negative["Content-Type"] == "application/problem+json"
    assert not Order.objects.exists() and not CustomerStats.objects.exists()


def test_a_customer_out_of_scope_cannot_be_given_an_order(api_client, manager, outsider):
    customer = CustomerFactory(owner=outsider)

    response = api_client(manager).post(ORDERS, order_body(customer), format="json")

    assert response.status_code == 400 and response.json()["errors"][0]["attr"] == "customer"
    assert not Order.objects.exists()


def test_an_idempotency_key_makes_a_retried_post_create_one_order(api_client, manager, owner):
    customer = CustomerFactory(owner=owner)
    client = api_client(manager)
    body = order_body(customer)

    first = client.post(ORDERS, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    second = client.post(ORDERS, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"] and Order.objects.count() == 1


# --- upsert by order_ref --------------------------------------------------------------------
def test_upsert_by_reference_creates_once_then_updates(api_client, manager, owner):
    customer = CustomerFactory(owner=owner)
    client = api_client(manager)

    created = client.put(by_ref("SHOP-7"), order_body(customer), format="json")
    updated = client.put(
        by_ref("SHOP-7"),
        order_body(customer, status="refunded", lines=[{"description": "Widget", "quantity": "1", "unit_price": "5"}]),
        format="json",
    )

    assert created.status_code == 201 and updated.status_code == 200
    order = Order.objects.get()
    assert created.json()["id"] == updated.json()["id"] == order.pk
    assert (order.order_ref, order.status, order.total) == ("SHOP-7", "refunded", Decimal("5.00"))
    assert updated.json()["lines"][0]["total"] == "5.00" and order.lines.count() == 1
    assert Interaction.objects.filter(customer=customer, action="order.updated").exists()


def test_the_same_reference_is_a_separate_order_for_another_customer(api_client, admin_user):
    first, second = CustomerFactory(), CustomerFactory()
    client = api_client(admin_user)

    client.put(by_ref("SHOP-1"), order_body(first), format="json")
    response = client.put(by_ref("SHOP-1"), order_body(second), format="json")

    assert response.status_code == 201 and Order.objects.filter(order_ref="SHOP-1").count() == 2


def test_an_existing_order_out_of_scope_is_a_404_and_is_not_changed(api_client, other_manager, owner):
    customer = CustomerFactory(owner=owner)
    order = OrderFactory(customer=customer, order_ref="SHOP-9", total=Decimal("100.00"))

    response = api_client(other_manager).put(by_ref("SHOP-9"), order_body(customer), format="json")

    assert response.status_code == 404
    order.refresh_from_db()
    assert order.total == Decimal("100.00") and Order.objects.count() == 1


def test_an_upsert_with_a_validation_error_changes_nothing(api_client, manager, owner):
    customer = CustomerFactory(owner=owner)
    order = OrderFactory(customer=customer, order_ref="SHOP-3", total=Decimal("100.00"))
    OrderLineFactory(order=order)

    response = api_client(manager).put(by_ref("SHOP-3"), order_body(customer, status="lost"), format="json")

    assert response.status_code == 400 and response.json()["errors"][0]["attr"] == "status"
    order.refresh_from_db()
    assert (order.status, order.total, order.lines.count()) == ("paid", Decimal("100.00"), 1)


def test_an_upsert_needs_a_customer(api_client, manager):
    response = api_client(manager).put(by_ref("SHOP-4"), {"ordered_at": timezone.now().isoformat()}, format="json")

    assert response.status_code == 400 and "customer" in {error["attr"] for error in response.json()["errors"]}
    assert not Order.objects.exists()


# --- products -------------------------------------------------------------------------------
def test_everyone_reads_the_products_with_the_pages_filters(api_client, owner, agent):
    ProductFactory(name="Widget", sku="W-1")
    ProductFactory(name="Gadget", sku="G-1", is_active=False)

    assert [row["sku"] for row in api_client(owner).get(PRODUCTS, {"q": "widg"}).json()["results"]] == ["W-1"]
    assert [row["sku"] for row in api_client(agent).get(PRODUCTS, {"is_active": "false"}).json()["results"]] == ["G-1"]


def test_reps_do_not_change_products_but_managers_do(api_client, owner, manager):
    product = ProductFactory(name="Widget", price=Decimal("10.00"))

    assert api_client(owner).patch(f"{PRODUCTS}{product.pk}/", {"price": "1.00"}, format="json").status_code == 403
    assert api_client(owner).post(PRODUCTS, {"name": "X", "sku": "X", "price": "1"}, format="json").status_code == 403
    changed = api_client(manager).patch(f"{PRODUCTS}{product.pk}/", {"price": "12.50"}, format="json")
    created = api_client(manager).post(
        PRODUCTS, {"name": "Gadget", "sku": "G-1", "price": "5", "currency": "usd"}, format="json"
    )

    product.refresh_from_db()
    assert changed.status_code == 200 and product.price == Decimal("12.50")
    assert created.status_code == 201 and Product.objects.get(sku="G-1").currency == "USD"


def test_a_products_sku_is_unique(api_client, admin_user):
    ProductFactory(sku="W-1")

    response = api_client(admin_user).post(PRODUCTS, {"name": "Again", "sku": "W-1", "price": "1"}, format="json")

    assert response.status_code == 400 and response.json()["errors"][0]["attr"] == "sku"
    assert Product.objects.count() == 1


def test_an_orders_webhook_payload_is_what_the_api_returns(api_client, owner):
    order = OrderFactory(customer=CustomerFactory(owner=owner))
    OrderLineFactory(order=order)

    assert represent(order) == api_client(owner).get(f"{ORDERS}{order.pk}/").json()


def test_a_shop_upserts_by_its_own_customer_reference(api_client, manager, owner, outsider):
    customer = CustomerFactory(owner=owner, external_ref="SHOP-CUST-1")
    CustomerFactory(owner=outsider, external_ref="SHOP-CUST-2")
    client = api_client(manager)
    body = order_body(customer)
    del body["customer"]

    created = client.put(by_ref("SHOP-5"), {**body, "customer_ref": "SHOP-CUST-1"}, format="json")
    again = client.put(by_ref("SHOP-5"), {**body, "customer_ref": "SHOP-CUST-1"}, format="json")
    theirs = client.put(by_ref("SHOP-5"), {**body, "customer_ref": "SHOP-CUST-2"}, format="json")
    unknown = client.put(by_ref("SHOP-5"), {**body, "customer_ref": "NOBODY"}, format="json")

    assert (created.status_code, again.status_code) == (201, 200)
    assert created.json()["customer"] == customer.pk
    assert theirs.status_code == unknown.status_code == 404
    assert list(Order.objects.values_list("customer", "order_ref")) == [(customer.pk, "SHOP-5")]


def test_a_rep_is_told_in_turkish_why_products_are_not_theirs_to_change(api_client, owner):
    product = ProductFactory(price=Decimal("10.00"))

    response = api_client(owner).patch(
        f"{PRODUCTS}{product.pk}/", {"price": "1.00"}, format="json", HTTP_ACCEPT_LANGUAGE="tr"
    )

    assert response.status_code == 403
    assert response.json()["detail"] == "Ürün kataloğunu yöneticiler ve sistem yöneticileri değiştirir."
    product.refresh_from_db()
    assert product.price == Decimal("10.00")
