"""Task pages: the list, create and edit, complete/reopen in place, and the "my day" cards."""

from copy import copy

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts import roles
from crm_project.helpers import next_url
from crm_project.lists import FilteredTableView, KeyedByTheMinute
from crm_project.versioning import StaleEdit, refused_edit_form
from customers.selectors.customers import customer_get_for_user

from ..filters.todos import TaskFilter
from ..forms.todos import TaskForm
from ..registry import my_day_section
from ..selectors.deals import deal_get_for_user
from ..selectors.leads import lead_get_for_user
from ..selectors.todos import my_day, task_get_for_user, task_list_for_user
from ..services import todos as services
from ..tables.todos import TaskTable

ROW_TEMPLATES = {"row": "sales/partials/task_row.html", "card": "sales/partials/home/task_item.html"}
# card in the URL -> (the part of my_day it shows, its template)
MY_DAY_CARDS = {
    "tasks": ("tasks", "sales/partials/home/my_tasks.html"),
    "deals-closing": ("deals_closing", "sales/partials/home/my_deals_closing.html"),
    "deals-stuck": ("deals_stuck", "sales/partials/home/my_deals_stuck.html"),
    "leads": ("leads", "sales/partials/home/my_leads.html"),
}


def may_have_tasks(user) -> bool:
    return roles.is_admin(user) or roles.is_manager(user) or roles.is_sales_rep(user)


class TaskListView(KeyedByTheMinute, FilteredTableView):
    table_class = TaskTable
    filterset_class = TaskFilter
    template_name = "sales/task_list.html"
    page_title = gettext_lazy("Tasks")
    # Its rows are tasks, their assignees and what they relate to (all watched). A task
    # turns "Overdue" at its due time, to the second: the key holds the minute, and a page
    # with an open task falling due later in that minute is drawn without being kept.
    content_cached = True

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not may_have_tasks(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return task_list_for_user(user=self.request.user)

    def changes_before(self, end, table) -> bool:
        """Whether the page would read otherwise before `end`: a task on it falls due, or
        its "Due" filter compares with the time of day (overdue, the next 7 days: a task
        anywhere in the set may cross it), not the day ("today")."""
        if self.request.GET.get("when") in ("overdue", "week"):
            return True
        now = timezone.now()
        return any(row.record.done_at is None and now < row.record.due_at < end for row in table.page.object_list)


def _related_from_query(request) -> dict:
    """?customer=, ?deal=, ?lead= preset the task's relation, each fetched through its access helper."""
    related = {}
    getters = {"customer": customer_get_for_user, "deal": deal_get_for_user, "lead": lead_get_for_user}
    for name, getter in getters.items():
        value = request.GET.get(name, "")
        if value:
            if not value.isdigit():
                raise Http404
            related[name] = getter(user=request.user, pk=int(value))
    return related


@login_required
def task_create(request):
    if not may_have_tasks(request.user):
        raise PermissionDenied
    related = _related_from_query(request)
    form = TaskForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        task = services.task_create(actor=request.user, **related, **form.service_fields())
        messages.success(request, _("Task “%(title)s” added.") % {"title": task.title})
        return redirect(next_url(request, reverse("sales:task-list")))
    context = {
        "form": form,
        "related": related,
        "title": _("New task"),
        "crumbs": [(_("Tasks"), reverse("sales:task-list")), (_("New task"), None)],
    }
    return render(request, "sales/task_form.html", context)


@login_required
def task_edit(request, pk):
    task = task_get_for_user(user=request.user, pk=pk, write=True)
    # A copy, so that the service sees the old values (see customer_edit).
    form = TaskForm(request.POST or None, instance=copy(task), user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.task_update(task=task, actor=request.user, version=form.opened_version(), **form.service_fields())
        except StaleEdit:
            current = task_get_for_user(user=request.user, pk=pk)
            form = refused_edit_form(form, current=current, user=request.user)
        else:
            messages.success(request, _("Your changes were saved."))
            return redirect(next_url(request, reverse("sales:task-list")))
    related = {name: getattr(task, name) for name in ("customer", "deal", "lead") if getattr(task, f"{name}_id")}
    context = {
        "form": form,
        "task": task,
        "related": related,
        "title": _("Edit task"),
        "crumbs": [(_("Tasks"), reverse("sales:task-list")), (task.title, None)],
    }
    return render(request, "sales/task_form.html", context)


@require_POST
@login_required
def task_complete(request, pk):
    return _toggle(request, pk, done=True)


@require_POST
@login_required
def task_reopen(request, pk):
    return _toggle(request, pk, done=False)


def _toggle(request, pk, *, done: bool):
    """Mark done or reopen; htmx gets the row (or "my day" item) back, other clients a redirect."""
    task = task_get_for_user(user=request.user, pk=pk, write=True)
    if done:
        task = services.task_complete(task=task, actor=request.user)
    else:
        task = services.task_reopen(task=task, actor=request.user)
    back = next_url(request, reverse("sales:task-list"))
    if not request.htmx:
        message = _("“%(title)s” is done.") if done else _("“%(title)s” is open again.")
        messages.success(request, message % {"title": task.title})
        return redirect(back)
    template = ROW_TEMPLATES.get(request.POST.get("variant", "row"), ROW_TEMPLATES["row"])
    context = {"task": task, "next_url": back, "show_owner": request.POST.get("show_owner") == "1"}
    return render(request, template, context)


@login_required
def my_day_card(request, card):
    """One card of the rep's home, re-rendered after an action in it (htmx), or
    a section another app registered (CRM_MY_DAY_SECTIONS)."""
    if card not in MY_DAY_CARDS:
        return _my_day_section(request, card)
    part, template = MY_DAY_CARDS[card]
    return render(request, template, my_day(user=request.user, parts=(part,)))


def _my_day_section(request, slug):
    section = my_day_section(slug)
    context = section.context(request) if section is not None else None
    if section is None or context is None:
        raise Http404
    return render(request, section.template, context)
