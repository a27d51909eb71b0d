"""Orders and products: the order list and page, a won deal's order, the product
catalogue, and the order import (upload -> dry run -> import, large files as a job).

Between the import's steps the session keeps only the stored file's name, its
original name and the options; the file itself lives in MEDIA_ROOT/imports/.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.roles import is_manager_or_admin
from crm_project.lists import FilteredTableView
from crm_project.permissions import manager_or_admin_required
from imports.views import Card, FlowUrls, ImportFlow, flow_views

from ..filters.orders import OrderFilter, ProductFilter
from ..forms.orders import OrderImportUploadForm, ProductForm
from ..models import Order, Product
from ..selectors.deals import deal_get_for_user
from ..selectors.orders import order_for_deal, order_get_for_user, order_list_for_user, order_totals, product_list
from ..services import order_import, orders
from ..tables.money import add_totals
from ..tables.orders import EditableProductTable, OrderTable, ProductTable
from ..tasks import orders_import_enqueue, orders_import_file


# --- orders ------------------------------------------------------------------------------------
class OrderListView(FilteredTableView):
    table_class = OrderTable
    filterset_class = OrderFilter
    template_name = "sales/order_list.html"
    page_title = gettext_lazy("Orders")
    # Its bar's menus are choices; its saved views are watched.
    filter_bar_cached = True
    # Its rows are orders and their customers (both watched); nothing it shows depends on the time.
    content_cached = True

    def get_queryset(self):
        return order_list_for_user(user=self.request.user)

    def get_table(self, **kwargs):
        table = super().get_table(**kwargs)
        # The footer adds up the filtered orders, every page of them.
        add_totals(table, lambda: order_totals(self.object_list))
        return table

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["may_import"] = order_import.can_import_orders(self.request.user)
        return context


@login_required
def order_detail(request, pk):
    order = order_get_for_user(user=request.user, pk=pk)
    context = {
        "order": order,
        "lines": list(order.lines.all()),
        "crumbs": [(_("Orders"), reverse("sales:order-list")), (str(order), None)],
    }
    return render(request, "sales/order_detail.html", context)


@require_POST
@login_required
def order_create_from_deal(request, deal_pk):
    deal = deal_get_for_user(user=request.user, pk=deal_pk, write=True)
    order = order_for_deal(deal)
    if order is not None:
        messages.info(request, _("This deal already became order %(ref)s.") % {"ref": order})
    else:
        try:
            order = orders.order_create_from_deal(deal=deal, actor=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(deal)
        messages.success(request, _("Order %(ref)s was created from this deal.") % {"ref": order})
    # The order is visible with its customer, who may be someone else's.
    if Order.objects.visible_to(request.user).filter(pk=order.pk).exists():
        return redirect("sales:order-detail", pk=order.pk)
    return redirect(deal)


# --- products ------------------------------------------------------------------------------------
class ProductListView(FilteredTableView):
    filterset_class = ProductFilter
    page_title = gettext_lazy("Products")

    def get_queryset(self):
        return product_list()

    def get_table_class(self):
        return EditableProductTable if is_manager_or_admin(self.request.user) else ProductTable

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if is_manager_or_admin(self.request.user):
            context["create_link"] = (_("New product"), reverse("sales:product-create"))
        return context


@manager_or_admin_required
def product_create(request):
    form = ProductForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        product = orders.product_create(actor=request.user, **form.cleaned_data)
        messages.success(request, _("%(product)s was added.") % {"product": product})
        return redirect("sales:product-list")
    return _render_product_form(request, form, _("New product"))


@manager_or_admin_required
def product_edit(request, pk):
    product = get_object_or_404(Product, pk=pk)
    form = ProductForm(request.POST or None, instance=product)
    if request.method == "POST" and form.is_valid():
        orders.product_update(product=product, actor=request.user, **form.cleaned_data)
        messages.success(request, _("Your changes were saved."))
        return redirect("sales:product-list")
    return _render_product_form(request, form, _("Edit %(product)s") % {"product": product.name})


def _render_product_form(request, form, title):
    crumbs = [(_("Orders"), reverse("sales:order-list")), (_("Products"), reverse("sales:product-list")), (title, None)]
    return render(request, "sales/product_form.html", {"form": form, "title": title, "crumbs": crumbs})


# --- the order import (through the import kit) -----------------------------------------------------
def _run(*, table, state, actor, dry_run, skip_errors):
    if not order_import.can_import_orders(actor):
        raise PermissionDenied
    return order_import.orders_import(
        table=table, filename=state["filename"], actor=actor, dry_run=dry_run, skip_errors=skip_errors,
        create_missing_customers=bool(state["options"].get("create_missing_customers")),
    )  # fmt: skip


def _enqueue(*, table, state, skip_errors, actor):
    return orders_import_enqueue(
        stored_name=state["file"], filename=state["filename"], actor=actor, expected_rows=table.row_count,
        options={"skip_errors": skip_errors, **state["options"]},
    )  # fmt: skip


def _summary(counts: dict) -> str:
    return (
        _(
            "Import finished: %(created)d orders created, %(updated)d updated, %(skipped)d rows skipped, "
            "%(new_customers)d customers created."
        )
        % counts
    )


IMPORT_FLOW = ImportFlow(
    kind=order_import.ORDERS,
    urls=FlowUrls(
        upload="sales:order-import",
        check="sales:order-import-check",
        run="sales:order-import-run",
        result="sales:order-import-result",
        status="sales:order-import-status",
    ),  # fmt: skip
    session_key="sales_order_import",
    task_name=orders_import_file.name,
    may_import=order_import.can_import_orders,
    run=_run,
    enqueue=_enqueue,
    summary=_summary,
    titles={
        "upload": gettext_lazy("Import orders"),
        "check": gettext_lazy("Check the order import"),
        "result": gettext_lazy("Order import finished"),
        "status": gettext_lazy("Order import progress"),
    },
    crumbs=[(gettext_lazy("Orders"), "sales:order-list")],
    check_cards=[
        Card("created", gettext_lazy("orders would be created")),
        Card("updated", gettext_lazy("orders would be updated")),
        Card("new_customers", gettext_lazy("customers would be created")),
        Card("errors", gettext_lazy("rows with errors")),
    ],
    result_cards=[
        Card("created", gettext_lazy("orders created")),
        Card("updated", gettext_lazy("orders updated")),
        Card("new_customers", gettext_lazy("customers created")),
        Card("skipped", gettext_lazy("rows skipped")),
    ],
    done_link=(gettext_lazy("Go to the orders"), "sales:order-list"),
    help_template="sales/partials/order_import_help.html",
    upload_form=OrderImportUploadForm,
    upload_button=gettext_lazy("Upload and check"),
)
_views = flow_views(IMPORT_FLOW)
order_import_upload = _views["upload"]
order_import_check = _views["check"]
order_import_run = _views["run"]
order_import_result = _views["result"]
order_import_status = _views["status"]
