"""Orders and products: the order list and page, a won deal's order, the product
catalogue, and the order import (upload -> dry run -> import, large files as a job).

Between the import's steps the session keeps only the stored file's name, its
original name and the options; the file itself lives in MEDIA_ROOT/imports/.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from accounts.roles import is_manager_or_admin
from crm_project.lists import FilteredTableView
from crm_project.permissions import manager_or_admin_required
from jobs.models import JobRun
from jobs.selectors import jobrun_error_message, jobrun_get_for_user

from ..filters.orders import OrderFilter, ProductFilter
from ..forms.orders import OrderImportRunForm, OrderImportUploadForm, ProductForm
from ..models import Order, Product
from ..selectors.deals import deal_get_for_user
from ..selectors.orders import order_for_deal, order_get_for_user, order_list_for_user, product_list
from ..services import order_import, order_import_files, orders
from ..tables.orders import EditableProductTable, OrderTable, ProductTable
from ..tasks import orders_import_file

SESSION_KEY = "sales_order_import"
RESULT_KEY = "sales_order_import_result"
SHOWN_ERRORS = 500


# --- orders ------------------------------------------------------------------------------------
class OrderListView(FilteredTableView):
    table_class = OrderTable
    filterset_class = OrderFilter
    template_name = "sales/order_list.html"
    page_title = gettext_lazy("Orders")

    def get_queryset(self):
        return order_list_for_user(user=self.request.user)

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


# --- the order import ----------------------------------------------------------------------------
@manager_or_admin_required
def order_import_upload(request):
    form = OrderImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            name = order_import_files.order_import_file_store(upload=upload)
        except order_import.OrderImportFileError as error:
            form.add_error("file", error.message)
        else:
            _forget_upload(request)
            request.session[SESSION_KEY] = {
                "file": name,
                "filename": upload.name,
                "create_missing_customers": form.cleaned_data["create_missing_customers"],
            }
            return redirect("sales:order-import-check")
    return render(request, "sales/order_import_upload.html", {"form": form, "crumbs": _import_crumbs(_("Upload"))})


@require_GET
@manager_or_admin_required
def order_import_check(request):
    """The dry run: every row checked, nothing written."""
    state = _state(request)
    if state is None:
        return redirect("sales:order-import")
    try:
        result = _import(request, state, dry_run=True)
    except order_import.OrderImportFileError as error:
        _forget_upload(request)
        messages.error(request, error.message)
        return redirect("sales:order-import")
    request.session[SESSION_KEY] = {**state, "rows": result.total, "bad_rows": result.bad_rows}
    return _render_check(request, state, result)


@require_POST
@manager_or_admin_required
def order_import_run(request):
    state = _state(request)
    if state is None or "rows" not in state:
        return redirect("sales:order-import")
    form = OrderImportRunForm(request.POST)
    skip_errors = form.is_valid() and form.cleaned_data["skip_errors"]
    if state["bad_rows"] and not skip_errors and _in_background(state):
        messages.error(request, _nothing_imported(state["bad_rows"]))
        return redirect("sales:order-import-check")
    if not order_import_files.order_import_file_claim(state["file"]):
        messages.info(request, _("This file is already being imported."))
        return redirect("sales:order-import")
    if _in_background(state):
        return _enqueue(request, state, skip_errors)
    try:
        result = _import(request, state, skip_errors=skip_errors)
    except order_import.OrderImportFileError as error:
        order_import_files.order_import_file_release(state["file"])
        messages.error(request, error.message)
        return redirect("sales:order-import")
    if result.rejected:
        order_import_files.order_import_file_release(state["file"])
        messages.error(request, _nothing_imported(result.bad_rows))
        return _render_check(request, state, result, rejected=True)
    order_import_files.order_import_file_delete(state["file"])
    request.session.pop(SESSION_KEY, None)
    request.session[RESULT_KEY] = _result_for_session(result)
    messages.success(request, _summary(result.counts))
    return redirect("sales:order-import-result")


@manager_or_admin_required
def order_import_result(request):
    result = request.session.get(RESULT_KEY)
    if not result:
        return redirect("sales:order-import")
    return render(request, "sales/order_import_result.html", {**result, "crumbs": _import_crumbs(_("Done"))})


@manager_or_admin_required
def order_import_status(request, pk):
    """A background import's progress; the partial polls itself while the job runs."""
    run = jobrun_get_for_user(user=request.user, pk=pk, name=orders_import_file.name)
    context = {
        "run": run,
        "running": run.status in (JobRun.Status.QUEUED, JobRun.Status.RUNNING),
        "error_message": jobrun_error_message(run),
    }
    if request.htmx:
        return render(request, "sales/partials/order_import_status.html", context)
    return render(request, "sales/order_import_status.html", {**context, "crumbs": _import_crumbs(_("Progress"))})


# --- helpers -------------------------------------------------------------------------------------
def _import_crumbs(step: str) -> list[tuple[str, str | None]]:
    return [(_("Orders"), reverse("sales:order-list")), (_("Import"), reverse("sales:order-import")), (step, None)]


def _state(request) -> dict | None:
    state = request.session.get(SESSION_KEY)
    if not state:
        messages.info(request, _("Upload a file first."))
    return state


def _import(request, state: dict, **options) -> order_import.OrderImportResult:
    if not order_import.can_import_orders(request.user):
        raise PermissionDenied
    with order_import_files.order_import_file_open(state["file"]) as source:
        return order_import.orders_import(
            source=source, filename=state["filename"], actor=request.user,
            create_missing_customers=state["create_missing_customers"], **options,
        )  # fmt: skip


def _in_background(state: dict) -> bool:
    return state["rows"] > settings.CRM_IMPORT_SYNC_MAX_ROWS


def _forget_upload(request) -> None:
    state = request.session.pop(SESSION_KEY, None)
    if state:
        order_import_files.order_import_file_delete(state["file"])


def _render_check(request, state, result, *, rejected=False):
    context = {
        "result": result,
        "errors": result.errors[:SHOWN_ERRORS],
        "rejected": rejected,
        "filename": state["filename"],
        "create_missing_customers": state["create_missing_customers"],
        "background": result.total > settings.CRM_IMPORT_SYNC_MAX_ROWS,
        "form": OrderImportRunForm(has_errors=bool(result.bad_rows), rejected=rejected),
        "crumbs": _import_crumbs(_("Check")),
    }
    return render(request, "sales/order_import_check.html", context)


def _enqueue(request, state, skip_errors):
    run = order_import.orders_import_enqueue(
        stored_name=state["file"], filename=state["filename"], actor=request.user, expected_rows=state["rows"],
        options={"skip_errors": skip_errors, "create_missing_customers": state["create_missing_customers"]},
    )  # fmt: skip
    request.session.pop(SESSION_KEY, None)
    messages.success(request, _("The import runs in the background; this page shows its progress."))
    return redirect("sales:order-import-status", pk=run.pk)


def _result_for_session(result: order_import.OrderImportResult) -> dict:
    errors = [
        {"row": error.row, "column": error.column, "message": error.message, "value": error.value}
        for error in result.errors[:SHOWN_ERRORS]
    ]
    return {"counts": result.counts, "errors": errors, "error_count": result.error_count, "filename": result.filename}


def _nothing_imported(bad_rows: int) -> str:
    message = ngettext(
        "Nothing was imported: %(rows)d row has errors.", "Nothing was imported: %(rows)d rows have errors.", bad_rows
    )
    return message % {"rows": bad_rows}


def _summary(counts: dict) -> str:
    return (
        _(
            "Import finished: %(created)d orders created, %(updated)d updated, %(skipped)d rows skipped, "
            "%(new_customers)d customers created."
        )
        % counts
    )
