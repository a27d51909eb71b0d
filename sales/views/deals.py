"""Deal pages: the Kanban board (lazy columns, drag and drop), the list, create/edit, the deal page
with its products, and the pipeline editor for managers and admins."""

from copy import copy
from decimal import Decimal
from typing import cast
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from accounts import roles
from crm_project.access import can_write
from crm_project.fragments import ResponseFragment, cached_result
from crm_project.helpers import next_url
from crm_project.lists import FilteredTableView, request_described
from crm_project.permissions import manager_or_admin_required
from crm_project.versioning import StaleEdit, refused_edit_form
from customers.selectors.customers import customer_get_for_user

from ..filters.deals import BoardFilter, DealFilter
from ..forms.deals import DealForm, DealLineForm, DealMoveForm, PipelineForm, StageFormSet
from ..models import DealProduct, Pipeline, Stage
from ..selectors import deals as selectors
from ..services.deal_lines import deal_line_add as line_add_service
from ..services.deal_lines import deal_line_remove as line_remove_service
from ..services.deals import deal_create as deal_create_service
from ..services.deals import deal_move_stage, deal_update, pipeline_default
from ..services.pipelines import pipeline_create as pipeline_create_service
from ..services.pipelines import pipeline_update
from ..tables.deals import DealTable
from ..tables.money import add_totals


def _require_sales_role(user) -> None:
    if not selectors.may_use_sales(user):
        raise PermissionDenied


# --- the board ------------------------------------------------------------------------------
@require_GET
@login_required
def board(request):
    """The board's page; its content (columns' counts and totals, filters) comes from the
    fragment cache while no deal, stage or pipeline changed, per query string, user, access
    (as computed on this request) and day: the board counts whole days (board_closed_since)."""
    _require_sales_role(request.user)
    pipelines = cached_result(("pipelines",), lambda: list(Pipeline.objects.all())) or [pipeline_default()]
    # Never None: the list is never empty.
    pipeline = cast(Pipeline, selectors.pipeline_choose(pipelines, request.GET.get("pipeline")))
    content = ResponseFragment(
        ("pipeline-board", pipeline.pk, *request_described(request), timezone.localdate().isoformat()),
        csrf_token=lambda: get_token(request),
    )
    context = {"pipeline": pipeline, "crumbs": [(_("Pipeline"), None)], "list_content": content}
    if content.html is None:
        with content.recording():
            context |= _board_context(request, pipelines, pipeline)
    return render(request, "sales/pipeline_board.html", context)


def _board_context(request, pipelines: list[Pipeline], pipeline: Pipeline) -> dict:
    stages = selectors.pipeline_stages(pipeline)
    deals = selectors.board_deals(user=request.user, pipeline=pipeline)
    # Its menus get their cached options when the filter form is drawn (pipeline_board.html).
    board_filter = BoardFilter(request.GET or None, queryset=deals, request=request)
    columns = selectors.board_columns(deals=board_filter.qs, stages=stages)
    return {
        "pipelines": pipelines,
        # Open stages are columns; won and lost are drop zones shown while dragging.
        "columns": [column for column in columns if not column.closed],
        "summary": selectors.board_summary(columns),
        "filter": board_filter,
        "board_query": _board_query(request, pipeline),
        "closed_days": selectors.CLOSED_DAYS,
        "may_edit_pipelines": roles.is_manager_or_admin(request.user),
    }


@require_GET
@login_required
def board_column(request, stage_pk):
    """One page of a column's cards (htmx: on load, then "Show more")."""
    _require_sales_role(request.user)
    stage = get_object_or_404(Stage.objects.select_related("pipeline"), pk=stage_pk)
    stages = selectors.pipeline_stages(stage.pipeline)
    stage = next(s for s in stages if s.pk == stage.pk)
    deals = _board_filtered(request, stage.pipeline)
    page = _page_number(request)
    cards, has_more = selectors.board_column_cards(deals=deals, stage=stage, page=page)
    _mark_writable(request.user, cards)
    context = {
        "stage": stage,
        "stages": stages,
        "cards": cards,
        "next_page": page + 1 if has_more else None,
        "board_query": _board_query(request, stage.pipeline),
    }
    return render(request, "sales/partials/board_cards.html", context)


@require_POST
@login_required
def deal_move(request, pk):
    """Move a deal to a stage: from a drag on the board, a card's stage select or the deal page."""
    deal = selectors.deal_get_for_user(user=request.user, pk=pk, write=True)
    previous_stage = deal.stage
    form = DealMoveForm(request.POST, deal=deal)
    if form.is_valid():
        try:
            deal = deal_move_stage(
                deal=deal,
                stage=form.cleaned_data["stage"],
                actor=request.user,
                lost_reason=form.cleaned_data["lost_reason"],
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
    if not form.is_valid():
        return _move_refused(request, deal, form)
    if request.htmx:
        return _board_move_result(request, deal, previous_stage)
    messages.success(
        request, _("“%(title)s” is now in %(stage)s.") % {"title": deal.title, "stage": deal.stage.display_name}
    )
    return redirect(next_url(request, deal.get_absolute_url()))


def _move_refused(request, deal, form):
    if request.htmx:
        return HttpResponse(" ".join(_form_errors(form)), status=422, content_type="text/plain; charset=utf-8")
    if form.needs_reason():
        # Without JavaScript a lost stage needs this extra page for the reason.
        context = {
            "deal": deal,
            "form": DealMoveForm(initial={"stage": form.cleaned_data["stage"].pk}, deal=deal),
            "stage": form.cleaned_data["stage"],
            "next": next_url(request, ""),
            "crumbs": [
                (_("Deals"), reverse("sales:deal-list")),
                (deal.title, deal.get_absolute_url()),
                (_("Lost"), None),
            ],
        }
        return render(request, "sales/deal_lost.html", context)
    messages.error(request, " ".join(_form_errors(form)))
    return redirect(next_url(request, deal.get_absolute_url()))


def _board_move_result(request, deal, previous_stage):
    """The moved card (placed at the top of its new column) and both columns' refreshed headers."""
    card = selectors.board_card(deal=deal)
    stages = selectors.pipeline_stages(card.pipeline)
    card.stage = next(s for s in stages if s.pk == card.stage_id)
    card.writable = True
    deals = _board_filtered(request, card.pipeline)
    columns = selectors.board_columns(deals=deals, stages=stages)
    context = {
        "deal": card,
        "stages": stages,
        "columns": [column for column in columns if column.stage.pk in (previous_stage.pk, card.stage_id)],
        "summary": selectors.board_summary(columns),
        "board_query": _board_query(request, card.pipeline),
        "closed_days": selectors.CLOSED_DAYS,
    }
    return render(request, "sales/partials/board_move_result.html", context)


def _board_filtered(request, pipeline):
    deals = selectors.board_deals(user=request.user, pipeline=pipeline)
    return BoardFilter(request.GET, queryset=deals, request=request).qs


def _board_query(request, pipeline) -> str:
    """The board's pipeline and filters as a query string, kept on columns, moves and links."""
    params = [("pipeline", pipeline.pk)]
    params += [(name, request.GET[name]) for name in BoardFilter.PARAMETERS if request.GET.get(name)]
    return urlencode(params)


def _page_number(request) -> int:
    try:
        return max(1, int(request.GET.get("page", 1)))
    except ValueError:
        return 1


def _mark_writable(user, deals) -> None:
    for deal in deals:
        deal.writable = can_write(user, deal)


def _form_errors(form) -> list[str]:
    return [str(error) for errors in form.errors.values() for error in errors]


# --- the list -----------------------------------------------------------------------------
class DealListView(FilteredTableView):
    table_class = DealTable
    filterset_class = DealFilter
    template_name = "sales/deal_list.html"
    page_title = gettext_lazy("Deals")
    # Its bar's menus are users, teams, pipelines and stages (all watched).
    filter_bar_cached = True
    # Its rows are deals, customers, stages and owners (all watched).
    content_cached = True

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            _require_sales_role(request.user)
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.deal_list_for_user(user=self.request.user)

    def content_described(self) -> tuple:
        # A deal whose expected close date has passed is "Overdue" (Deal.close_overdue): from
        # the next local day on, so the day is in the key (the time zone is already).
        return (*super().content_described(), timezone.localdate().isoformat())

    def get_table(self, **kwargs):
        table = super().get_table(**kwargs)
        # The footer adds up the filtered deals, every page of them.
        add_totals(table, lambda: selectors.deal_totals(self.object_list))
        return table

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["create_link"] = (_("New deal"), reverse("sales:deal-create"))
        return context


# --- create and edit ------------------------------------------------------------------------
@login_required
def deal_create(request):
    _require_sales_role(request.user)
    preselected = None
    if request.GET.get("customer", "").isdigit():
        preselected = customer_get_for_user(user=request.user, pk=request.GET["customer"], write=True)
    choices = selectors.deal_customer_choices(user=request.user, include=preselected)
    form = DealForm(
        request.POST or None,
        user=request.user,
        customer_choices=choices,
        initial={"customer": preselected.pk if preselected else None, "pipeline": pipeline_default().pk},
    )
    if request.method == "POST" and form.is_valid():
        fields = form.service_fields()
        try:
            deal = deal_create_service(actor=request.user, **fields)
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, _("The deal “%(title)s” was opened.") % {"title": deal.title})
            return redirect(deal)
    crumbs = [(_("Deals"), reverse("sales:deal-list")), (_("New deal"), None)]
    return render(request, "sales/deal_form.html", {"form": form, "title": _("New deal"), "crumbs": crumbs})


@require_GET
@login_required
def deal_customer_options(request):
    """<option>s for the deal form's customer select, as the user searches (htmx)."""
    _require_sales_role(request.user)
    customers = selectors.deal_customer_choices(user=request.user, query=request.GET.get("customer_search", ""))
    return render(request, "sales/partials/deal_customer_options.html", {"customers": customers})


@login_required
def deal_edit(request, pk):
    deal = selectors.deal_get_for_user(user=request.user, pk=pk, write=True)
    form = DealForm(request.POST or None, instance=copy(deal), user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            deal_update(deal=deal, actor=request.user, version=form.opened_version(), **form.service_fields())
        except StaleEdit:
            current = selectors.deal_get_for_user(user=request.user, pk=pk)
            form = refused_edit_form(form, current=current, user=request.user)
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, _("Your changes were saved."))
            return redirect(deal)
    crumbs = [(_("Deals"), reverse("sales:deal-list")), (deal.title, deal.get_absolute_url()), (_("Edit"), None)]
    context = {"form": form, "deal": deal, "title": _("Edit “%(title)s”") % {"title": deal.title}, "crumbs": crumbs}
    return render(request, "sales/deal_form.html", context)


# --- the deal page ------------------------------------------------------------------------
@require_GET
@login_required
def deal_detail(request, pk):
    deal = selectors.deal_get_for_user(user=request.user, pk=pk)
    writable = can_write(request.user, deal)
    stages = selectors.pipeline_stages(deal.pipeline)
    lines = list(selectors.deal_lines(deal=deal))
    context = {
        "deal": deal,
        "writable": writable,
        "stages": stages,
        "won_stage": next((s for s in stages if s.is_won), None),
        "lost_stage": next((s for s in stages if s.is_lost), None),
        "history": selectors.deal_stage_history(deal=deal),
        "lines": lines,
        "lines_total": sum((line.total for line in lines), Decimal("0.00")),
        "activities": selectors.deal_activities(deal=deal),
        "tasks": selectors.deal_tasks(deal=deal),
        "line_form": DealLineForm() if writable else None,
        "crumbs": [(_("Deals"), reverse("sales:deal-list")), (deal.title, None)],
    }
    return render(request, "sales/deal_detail.html", context)


@require_POST
@login_required
def deal_line_add(request, pk):
    deal = selectors.deal_get_for_user(user=request.user, pk=pk, write=True)
    form = DealLineForm(request.POST)
    if form.is_valid():
        try:
            line_add_service(deal=deal, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error.messages)
    if form.errors:
        messages.error(request, " ".join(_form_errors(form)))
    else:
        messages.success(request, _("The product was added; the deal's amount is now their total."))
    return redirect(deal.get_absolute_url() + "#products")


@require_POST
@login_required
def deal_line_remove(request, pk, line_pk):
    deal = selectors.deal_get_for_user(user=request.user, pk=pk, write=True)
    line = get_object_or_404(DealProduct.objects.select_related("product"), pk=line_pk, deal=deal)
    line.deal = deal
    line_remove_service(line=line, actor=request.user)
    messages.success(request, _("The product was removed."))
    return redirect(deal.get_absolute_url() + "#products")


# --- pipelines (managers and admins) --------------------------------------------------------
@require_GET
@manager_or_admin_required
def pipeline_list(request):
    context = {"pipelines": selectors.pipeline_list(), "crumbs": [(_("Pipelines"), None)]}
    return render(request, "sales/pipeline_list.html", context)


@manager_or_admin_required
def pipeline_create(request):
    form = PipelineForm(request.POST or None)
    formset = StageFormSet(request.POST or None, instance=Pipeline(), prefix="stages")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        fields = {name: form.cleaned_data[name] for name in ("name", "stuck_after_days", "is_default")}
        try:
            pipeline = pipeline_create_service(actor=request.user, stages=formset.stage_rows(), **fields)
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, _("The pipeline “%(name)s” was created.") % {"name": pipeline.name})
            return redirect("sales:pipeline-list")
    return _pipeline_form(request, form, formset, title=_("New pipeline"))


@manager_or_admin_required
def pipeline_edit(request, pk):
    pipeline = get_object_or_404(Pipeline, pk=pk)
    form = PipelineForm(request.POST or None, instance=copy(pipeline))
    formset = StageFormSet(request.POST or None, instance=pipeline, prefix="stages")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            pipeline_update(pipeline=pipeline, actor=request.user, stages=formset.stage_rows(), **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, _("The pipeline “%(name)s” was saved.") % {"name": pipeline.name})
            return redirect("sales:pipeline-list")
    return _pipeline_form(request, form, formset, title=_("Edit “%(name)s”") % {"name": pipeline.name})


def _pipeline_form(request, form, formset, *, title):
    crumbs = [(_("Pipelines"), reverse("sales:pipeline-list")), (title, None)]
    return render(
        request, "sales/pipeline_form.html", {"form": form, "formset": formset, "title": title, "crumbs": crumbs}
    )
