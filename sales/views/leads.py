"""Lead pages: the list with bulk actions, detail with timeline, create, edit,
status, conversion, and the assignment rules (managers and admins)."""

import copy

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts import roles
from crm_project.access import can_write
from crm_project.fragments import cache_model_choices
from crm_project.helpers import next_url
from crm_project.lists import FilteredTableView
from crm_project.permissions import manager_or_admin_required
from crm_project.versioning import StaleEdit, refused_edit_form
from customers.models import Interaction

from ..filters.leads import LeadFilter
from ..forms.leads import (
    AssignmentRuleForm,
    LeadActivityForm,
    LeadBulkForm,
    LeadConvertForm,
    LeadForm,
    LeadStatusForm,
)
from ..models import AssignmentRule, Lead
from ..selectors import leads as selectors_leads
from ..selectors.leads import lead_get_for_user
from ..services import leads as services
from ..tables.leads import LeadTable

TIMELINE_PAGE_SIZE = 20
KIND_LABELS = dict(Interaction.Kind.choices)


def _require_lead_user(user) -> None:
    if not selectors_leads.may_use_leads(user):
        raise PermissionDenied


def _crumbs(*rest):
    return [(_("Leads"), reverse("sales:lead-list")), *rest]


# --- list and bulk actions ------------------------------------------------------------------
class LeadListView(FilteredTableView):
    table_class = LeadTable
    filterset_class = LeadFilter
    template_name = "sales/lead_list.html"
    page_title = gettext_lazy("Leads")
    # Its bar's menus are users and teams (both watched).
    filter_bar_cached = True
    # Its rows are leads, owners and teams (all watched); nothing it shows depends on the time.
    content_cached = True

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            _require_lead_user(request.user)
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return selectors_leads.lead_list_for_user(user=self.request.user)

    def get_table_kwargs(self):
        # Without bulk actions the rows need no checkboxes.
        kwargs = super().get_table_kwargs()
        if not selectors_leads.lead_bulk_actions(self.request.user):
            kwargs["exclude"] = (*kwargs.get("exclude", ()), "ids")
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        actions = selectors_leads.lead_bulk_actions(self.request.user)
        # Its own ids: the filter bar has an "owner" select too.
        form = LeadBulkForm(actions=actions, auto_id="bulk_%s") if actions else None
        context["bulk_form"] = cache_model_choices(form) if form else None
        context["may_manage_rules"] = roles.is_manager_or_admin(self.request.user)
        return context


@require_POST
@login_required
def lead_bulk(request):
    actions = selectors_leads.lead_bulk_actions(request.user)
    if not actions:
        raise PermissionDenied
    form = LeadBulkForm(request.POST, actions=actions)
    back = next_url(request, reverse("sales:lead-list"))
    if not form.is_valid():
        messages.error(request, " ".join(" ".join(map(str, errors)) for errors in form.errors.values()))
        return redirect(back)
    leads = Lead.objects.editable_by(request.user).filter(pk__in=form.cleaned_data["ids"])
    if form.cleaned_data["action"] == selectors_leads.REASSIGN:
        count = services.leads_reassign(leads=leads, owner=form.cleaned_data["owner"], actor=request.user)
        messages.success(request, _("%(count)d leads reassigned.") % {"count": count})
    else:
        count = services.leads_assign_by_rules(leads=leads, actor=request.user)
        messages.success(request, _("%(count)d unassigned leads got an owner.") % {"count": count})
    return redirect(back)


# --- create, detail, edit -------------------------------------------------------------------
@login_required
def lead_create(request):
    _require_lead_user(request.user)
    form = LeadForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        lead = services.lead_create(actor=request.user, **form.service_fields())
        if not Lead.objects.visible_to(request.user).filter(pk=lead.pk).exists():
            messages.success(request, _("%(name)s was added and assigned to %(owner)s.") % _names(lead))
            return redirect("sales:lead-list")
        messages.success(request, _("%(name)s was added.") % _names(lead))
        return redirect(lead)
    title = _("New lead")
    context = {"form": form, "cancel_url": reverse("sales:lead-list"), "title": title, "crumbs": _crumbs((title, None))}
    return render(request, "sales/lead_form.html", context)


def _names(lead: Lead) -> dict:
    return {"name": lead.full_name, "owner": lead.owner or "—"}


@login_required
def lead_detail(request, pk):
    _require_lead_user(request.user)
    lead = lead_get_for_user(user=request.user, pk=pk)
    writable = can_write(request.user, lead)
    open_lead = lead.status != Lead.Status.CONVERTED
    context = {
        "lead": lead,
        "writable": writable,
        "convertible": writable and services.lead_is_convertible(lead),
        "timeline_page": _timeline_page(lead, 1),
        "activity_form": LeadActivityForm() if writable else None,
        "status_form": LeadStatusForm(initial={"status": lead.status, "reason": lead.unqualified_reason})
        if writable and open_lead
        else None,
        "crumbs": _crumbs((lead.full_name, None)),
    }
    return render(request, "sales/lead_detail.html", context)


def _timeline_page(lead, number):
    page = Paginator(selectors_leads.lead_timeline(lead=lead), TIMELINE_PAGE_SIZE).get_page(number)
    for entry in page:
        entry.kind_label = KIND_LABELS.get(entry.kind, entry.kind)
    return page


@login_required
def lead_timeline(request, pk):
    """The next page of the lead's timeline, appended by htmx ("Show older")."""
    _require_lead_user(request.user)
    lead = lead_get_for_user(user=request.user, pk=pk)
    page = _timeline_page(lead, request.GET.get("page", 1))
    return render(request, "sales/partials/lead_timeline_page.html", {"lead": lead, "timeline_page": page})


@login_required
def lead_edit(request, pk):
    _require_lead_user(request.user)
    lead = lead_get_for_user(user=request.user, pk=pk, write=True)
    name, url = lead.full_name, lead.get_absolute_url()
    # The form writes its values onto its instance; the service must see the old ones to log the change.
    form = LeadForm(request.POST or None, instance=copy.copy(lead), user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.lead_update(lead=lead, actor=request.user, version=form.opened_version(), **form.service_fields())
        except StaleEdit:
            current = lead_get_for_user(user=request.user, pk=pk)
            form = refused_edit_form(form, current=current, user=request.user)
        else:
            messages.success(request, _("Your changes were saved."))
            if not Lead.objects.visible_to(request.user).filter(pk=lead.pk).exists():
                return redirect("sales:lead-list")
            return redirect(lead)
    title = _("Edit %(name)s") % {"name": name}
    context = {"form": form, "cancel_url": url, "title": title, "crumbs": _crumbs((name, url), (_("Edit"), None))}
    return render(request, "sales/lead_form.html", context)


@require_POST
@login_required
def lead_status(request, pk):
    _require_lead_user(request.user)
    lead = lead_get_for_user(user=request.user, pk=pk, write=True)
    form = LeadStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(" ".join(map(str, errors)) for errors in form.errors.values()))
        return redirect(lead)
    try:
        services.lead_set_status(
            lead=lead, status=form.cleaned_data["status"], reason=form.cleaned_data["reason"], actor=request.user
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Status: %(status)s.") % {"status": lead.get_status_display()})
    return redirect(lead)


@require_POST
@login_required
def lead_activity_create(request, pk):
    _require_lead_user(request.user)
    lead = lead_get_for_user(user=request.user, pk=pk, write=True)
    form = LeadActivityForm(request.POST)
    if form.is_valid():
        entry = services.lead_log_activity(lead=lead, actor=request.user, **form.cleaned_data)
        if not request.htmx:
            messages.success(request, _("Logged."))
            return redirect(lead)
        entry.kind_label = KIND_LABELS.get(entry.kind, entry.kind)
        context = {"lead": lead, "form": LeadActivityForm(), "entry": entry}
        return render(request, "sales/partials/lead_activity_logged.html", context)
    if not request.htmx:
        messages.error(request, _("The entry was not logged: %(errors)s") % {"errors": form.errors.as_text()})
        return redirect(lead)
    return render(request, "sales/partials/lead_activity_form.html", {"lead": lead, "form": form})


# --- conversion -----------------------------------------------------------------------------
@login_required
def lead_convert(request, pk):
    _require_lead_user(request.user)
    lead = lead_get_for_user(user=request.user, pk=pk, write=True)
    if lead.status == Lead.Status.CONVERTED:
        messages.error(request, _("This lead was already converted."))
        return redirect(lead)
    if not services.lead_is_convertible(lead):
        messages.error(request, _("An unqualified lead cannot be converted; change its status first."))
        return redirect(lead)
    companies = selectors_leads.lead_company_matches(lead=lead, user=request.user)
    customers = selectors_leads.lead_customer_matches(lead=lead, user=request.user)
    form = LeadConvertForm(request.POST or None, lead=lead, companies=companies, customers=customers)
    if request.method == "POST" and form.is_valid():
        try:
            customer, deal = services.lead_convert(lead=lead, actor=request.user, **form.service_arguments())
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(lead)
        if deal:
            message = _("%(lead)s was converted to the customer %(customer)s with the deal “%(deal)s”.")
        else:
            message = _("%(lead)s was converted to the customer %(customer)s.")
        messages.success(request, message % {"lead": lead.full_name, "customer": customer, "deal": deal})
        return redirect(customer)
    context = {
        "lead": lead,
        "form": form,
        "companies": companies,
        "customers": customers,
        "crumbs": _crumbs((lead.full_name, lead.get_absolute_url()), (_("Convert"), None)),
    }
    return render(request, "sales/lead_convert.html", context)


# --- assignment rules -----------------------------------------------------------------------
def _rule_crumbs(*rest):
    return [
        (_("Leads"), reverse("sales:lead-list")),
        (_("Assignment rules"), reverse("sales:assignment-rule-list")),
        *rest,
    ]


@manager_or_admin_required
def assignment_rule_list(request):
    context = {
        "rules": selectors_leads.assignment_rule_list(),
        "crumbs": [(_("Leads"), reverse("sales:lead-list")), (_("Assignment rules"), None)],
    }
    return render(request, "sales/assignment_rule_list.html", context)


@manager_or_admin_required
def assignment_rule_create(request):
    form = AssignmentRuleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.assignment_rule_create(actor=request.user, **form.service_fields())
        messages.success(request, _("The rule was added."))
        return redirect("sales:assignment-rule-list")
    title = _("New assignment rule")
    return render(
        request,
        "sales/assignment_rule_form.html",
        {"form": form, "title": title, "crumbs": _rule_crumbs((title, None))},
    )


@manager_or_admin_required
def assignment_rule_edit(request, pk):
    rule = get_object_or_404(AssignmentRule, pk=pk)
    form = AssignmentRuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        services.assignment_rule_update(rule=rule, actor=request.user, **form.service_fields())
        messages.success(request, _("Your changes were saved."))
        return redirect("sales:assignment-rule-list")
    title = _("Edit assignment rule")
    return render(
        request,
        "sales/assignment_rule_form.html",
        {"form": form, "rule": rule, "title": title, "crumbs": _rule_crumbs((title, None))},
    )


@manager_or_admin_required
def assignment_rule_delete(request, pk):
    rule = get_object_or_404(AssignmentRule, pk=pk)
    if request.method == "POST":
        services.assignment_rule_delete(rule=rule, actor=request.user)
        messages.success(request, _("The rule was deleted."))
        return redirect("sales:assignment-rule-list")
    context = {"rule": rule, "crumbs": _rule_crumbs((_("Delete"), None))}
    return render(request, "sales/assignment_rule_confirm_delete.html", context)
