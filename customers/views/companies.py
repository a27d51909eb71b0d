"""Company pages: list, detail with people and combined timeline, create and edit."""

from copy import copy

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from crm_project.access import can_write
from crm_project.lists import FilteredTableView
from crm_project.versioning import StaleEdit, refused_edit_form

from .. import services
from ..filters import CompanyFilter
from ..forms.customers import AttachmentForm, CompanyForm
from ..models import Company
from ..selectors import customers as selectors
from ..tables import CompanyTable
from .customers import attach_uploaded_file


class CompanyListView(FilteredTableView):
    table_class = CompanyTable
    filterset_class = CompanyFilter
    page_title = gettext_lazy("Companies")
    # Its rows are companies, owners and people counts (customers), its menus users: all watched.
    content_cached = True

    def get_queryset(self):
        return selectors.company_list_for_user(user=self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if selectors.may_create_customers(self.request.user):
            context["create_link"] = (_("New company"), reverse("customers:company-create"))
        return context


def _crumbs(*tail):
    return [(_("Companies"), reverse("customers:company-list")), *tail]


@login_required
def company_detail(request, pk):
    company = selectors.company_get_for_user(user=request.user, pk=pk)
    writable = can_write(request.user, company)
    timeline = Paginator(selectors.company_timeline(company=company), 30).get_page(request.GET.get("page"))
    context = {
        "company": company,
        "writable": writable,
        "people": selectors.customer_list_for_user(user=request.user).filter(company=company)[:100],
        "timeline_page": timeline,
        "attachments": company.attachments.select_related("uploaded_by"),
        "attachment_form": AttachmentForm() if writable else None,
        "crumbs": _crumbs((company.name, None)),
    }
    return render(request, "customers/company_detail.html", context)


@login_required
def company_create(request):
    if not selectors.may_create_customers(request.user):
        raise PermissionDenied
    form = CompanyForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        company = services.company_create(actor=request.user, **form.service_fields())
        messages.success(request, _("%(name)s was added.") % {"name": company})
        return redirect(company)
    context = {"form": form, "title": _("New company"), "crumbs": _crumbs((_("New company"), None))}
    return render(request, "customers/company_form.html", context)


@login_required
def company_edit(request, pk):
    company = selectors.company_get_for_user(user=request.user, pk=pk, write=True)
    # A copy, so that the service sees the old values (see customer_edit).
    form = CompanyForm(request.POST or None, instance=copy(company), user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.company_update(
                company=company, actor=request.user, version=form.opened_version(), **form.service_fields()
            )
        except StaleEdit:
            current = selectors.company_get_for_user(user=request.user, pk=pk)
            form = refused_edit_form(form, current=current, user=request.user)
        else:
            messages.success(request, _("Your changes were saved."))
            return redirect(company)
    title = _("Edit %(name)s") % {"name": company}
    crumbs = _crumbs((company.name, company.get_absolute_url()), (_("Edit"), None))
    return render(request, "customers/company_form.html", {"form": form, "title": title, "crumbs": crumbs})


@login_required
def company_delete(request, pk):
    company = selectors.company_get_for_user(user=request.user, pk=pk, write=True)
    if request.method == "POST":
        services.company_delete(company=company, actor=request.user)
        messages.success(request, _("%(name)s was deleted. An administrator can restore it.") % {"name": company})
        return redirect("customers:company-list")
    crumbs = _crumbs((company.name, company.get_absolute_url()), (_("Delete"), None))
    context = {"object": company, "cancel_url": company.get_absolute_url(), "crumbs": crumbs}
    return render(request, "customers/confirm_delete.html", context)


@require_POST
@login_required
def company_attachment_upload(request, pk):
    company = selectors.company_get_for_user(user=request.user, pk=pk, write=True)
    return attach_uploaded_file(request, record=company, company=company)


@login_required
def company_suggest(request):
    """<option>s for the company name field's datalist (htmx, as the user types)."""
    query = request.GET.get("company_name", "").strip()
    names = []
    if len(query) >= 2:
        companies = selectors.company_search(Company.objects.visible_to(request.user), query)
        names = list(companies.values_list("name", flat=True)[:10])
    return render(request, "customers/partials/company_options.html", {"names": names})
