import django_tables2 as tables
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from crm_project.lists import ChoiceBadgeColumn, ShortDateColumn

from ..badges import ORDER_STATUS
from ..models import Order, Product
from ..templatetags.sales_tags import order_money
from .money import TotalsTable, totals_cell, totals_label

_RIGHT = {"td": {"class": "text-end text-nowrap"}, "th": {"class": "text-end"}, "tf": {"class": "text-end"}}


class OrderMoneyColumn(tables.Column):
    """An amount in the row's own currency."""

    def render(self, value, record):
        return order_money(value, record.currency)


class OrderTable(TotalsTable):
    # Below md each row is a card with these fields (the first is its title).
    card_fields = ("reference", "customer", "status", "total")

    reference = tables.Column(
        verbose_name=_("Order"),
        accessor="pk",
        linkify=lambda record: reverse("sales:order-detail", args=[record.pk]),
        order_by=("order_ref", "pk"),
        footer=totals_label,
    )
    customer = tables.Column(
        verbose_name=_("Customer"), linkify=True, order_by=("customer__last_name", "customer__first_name")
    )
    # Newest first is one walk down order_date_idx (-ordered_at, -id): the list's paginator ends
    # the order with the id in the date's direction (crm_project.lists._with_pk).
    ordered_at = ShortDateColumn(verbose_name=_("Ordered at"), format="SHORT_DATETIME_FORMAT")
    status = ChoiceBadgeColumn(ORDER_STATUS, verbose_name=_("Status"), order_by=("status",))
    total = OrderMoneyColumn(verbose_name=_("Total"), attrs=_RIGHT, footer=totals_cell(order_money))

    # Of the rows an order joins, the columns its cells show (FilteredTableView.get_table_data).
    related_columns = {"customer": ("first_name", "last_name")}

    class Meta:
        model = Order
        fields = ("customer", "ordered_at", "status", "total", "source")
        sequence = ("reference", "customer", "ordered_at", "status", "total", "source")
        order_by = ("-ordered_at",)
        attrs = {"class": "table table-hover align-middle mb-0", "id": "order-table", "tfoot": {"class": "fw-semibold"}}

    def render_reference(self, value, record):
        return str(record)


class ProductTable(tables.Table):
    # Below md each row is a card with these fields (the first is its title).
    card_fields = ("name", "price", "is_active")

    price = OrderMoneyColumn(verbose_name=_("Price"), attrs=_RIGHT)
    is_active = tables.BooleanColumn(verbose_name=_("Active"))

    class Meta:
        model = Product
        fields = ("name", "sku", "price", "is_active")
        order_by = ("name",)
        attrs = {"class": "table table-hover align-middle mb-0", "id": "product-table"}


class EditableProductTable(ProductTable):
    """For managers and admins: the name links to the edit form."""

    name = tables.Column(verbose_name=_("Name"), linkify=lambda record: reverse("sales:product-edit", args=[record.pk]))
