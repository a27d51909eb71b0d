"""The agents' ticket list: filters, saved views, bulk actions and the CSV export;
and the agent's "New ticket" form. (The ticket's own page lives in views/ticket.py.)"""

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import connections
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from crm_project.helpers import next_url
from crm_project.lists import FilteredTableView, KeyedByTheMinute, ListPaginator, planner_rows
from customers.services.exports import customers_export_csv

from ..filters.tickets import TicketFilter
from ..forms.tickets import BulkTicketForm, NewTicketForm
from ..models import Ticket
from ..selectors.lists import (
    BREACHING_SOON_MINUTES,
    customer_matches_for_user,
    may_use_support,
    ticket_list_for_user,
)
from ..services import agent, bulk, exports
from ..tables import TicketTable


def _require_support_role(user) -> None:
    if not may_use_support(user):
        raise PermissionDenied


class TicketListPaginator(ListPaginator):
    """The list frame's paginator without its "sort a small set whole" step: the SLA
    order is an expression no index serves, and sorting up to CRM_LIST_EXACT_COUNT
    ids by it took 250 ms for a queue of 60,000 open tickets. Here the count is a
    capped COUNT and the page's 25 ids are a top-N sort (tens of milliseconds)."""

    @cached_property
    def _counted(self) -> tuple[int, bool, int | None]:
        queryset = self.queryset
        if queryset is None or connections[queryset.db].vendor != "postgresql":
            return Paginator.count.func(self), True, None  # type: ignore[attr-defined]
        threshold = settings.CRM_LIST_EXACT_COUNT
        estimate = planner_rows(queryset)
        if estimate > max(threshold, settings.CRM_LIST_SORT_ALL_MAX):
            return estimate, False, estimate
        counted = queryset.order_by()[: threshold + 1].count()
        if counted > threshold:
            return threshold, False, estimate
        return counted, True, estimate


class TicketListView(KeyedByTheMinute, FilteredTableView):
    table_class = TicketTable
    filterset_class = TicketFilter
    paginator_class = TicketListPaginator
    template_name = "support/ticket_list.html"
    page_title = gettext_lazy("Tickets")
    # Its rows are tickets, customers, queues and assignees (all watched; a search of the
    # messages reads a table nobody watches, so that list is never kept). The SLA column
    # counts down in minutes: the key holds the minute, so a countdown is at most a minute
    # old ("2h 10m left" drawn at 12:00:05 still shows at 12:00:59), and a page on which a
    # clock turns "near" or "breached" later in that minute is drawn without being kept:
    # a clock's colour and state are never late.
    content_cached = True

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            _require_support_role(request.user)
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return ticket_list_for_user(user=self.request.user)

    def changes_before(self, end, table) -> bool:
        """Whether a clock's state (on track, near, breached) would read otherwise before
        `end`: one on the page crosses a cut-off, or the SLA filter compares the whole
        set with the time of day."""
        if self.request.GET.get("sla"):
            return True
        soon = timedelta(minutes=BREACHING_SOON_MINUTES)
        for row in table.page.object_list:
            due = getattr(row.record, "sla_due", None)
            if due is not None and (table.now < due < end or table.now < due - soon < end):
                return True
        return False

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["bulk_form"] = BulkTicketForm(user=self.request.user, auto_id="bulk_%s")
        return context


@require_POST
@login_required
def ticket_bulk(request):
    """Apply one action to the selected tickets the user may work; other ids are ignored."""
    _require_support_role(request.user)
    form = BulkTicketForm(request.POST, user=request.user)
    back = next_url(request, reverse("support:ticket-list"))
    if not form.is_valid():
        messages.error(request, " ".join(" ".join(map(str, errors)) for errors in form.errors.values()))
        return redirect(back)
    data = form.cleaned_data
    chosen = Ticket.objects.workable_by(request.user).filter(pk__in=data["ids"])
    count = _apply_bulk(chosen, data, request.user)
    messages.success(request, _("%(count)d tickets changed.") % {"count": count})
    return redirect(back)


def _apply_bulk(chosen, data: dict, actor) -> int:
    action = data["action"]
    if action == "assign":
        return bulk.tickets_bulk_assign(tickets_qs=chosen, assignee=data["assignee"], actor=actor)
    if action == "unassign":
        return bulk.tickets_bulk_assign(tickets_qs=chosen, assignee=None, actor=actor)
    if action == "status":
        return bulk.tickets_bulk_set_status(tickets_qs=chosen, status=data["status"], actor=actor)
    if action == "queue":
        return bulk.tickets_bulk_move(tickets_qs=chosen, queue=data["queue"], actor=actor)
    return bulk.tickets_bulk_add_tag(tickets_qs=chosen, tag=data["tag"], actor=actor)


@login_required
def ticket_export(request):
    """The list as the user sees it (its filters from the query string) as CSV, streamed."""
    _require_support_role(request.user)
    queryset = ticket_list_for_user(user=request.user)
    filterset = TicketFilter(request.GET, queryset=queryset, request=request)
    queryset = filterset.qs if filterset.is_valid() else queryset.none()
    rows = exports.tickets_export_rows(queryset)
    response = StreamingHttpResponse(customers_export_csv(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="tickets-{timezone.localdate():%Y-%m-%d}.csv"'
    return response


@login_required
def ticket_create(request):
    _require_support_role(request.user)
    initial = {"customer": request.GET.get("customer")} if request.GET.get("customer", "").isdigit() else {}
    form = NewTicketForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        ticket = agent.ticket_open_by_agent(actor=request.user, **form.cleaned_data)
        messages.success(request, _("Ticket #%(number)s was opened.") % {"number": ticket.pk})
        return redirect("support:ticket-detail", pk=ticket.pk)
    customer = form["customer"].value()
    picked = form.fields["customer"].queryset.filter(pk=customer).first() if str(customer or "").isdigit() else None  # type: ignore[attr-defined]
    context = {
        "form": form,
        "picked_customer": picked,
        "crumbs": [(_("Tickets"), reverse("support:ticket-list")), (_("New ticket"), None)],
    }
    return render(request, "support/ticket_form.html", context)


@require_GET
@login_required
def ticket_customer_matches(request):
    """The New ticket form's customer finder (htmx): matching customers, each a link that picks it."""
    _require_support_role(request.user)
    matches = customer_matches_for_user(user=request.user, query=request.GET.get("find", ""))
    return render(request, "support/partials/customer_matches.html", {"matches": matches})
