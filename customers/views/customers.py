"""Customer pages: the list with bulk actions, the 360° page, create and edit."""

from copy import copy
from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_tables2.rows import BoundRows

from accounts import roles
from crm_project.access import can_write
from crm_project.helpers import next_url
from crm_project.lists import FilteredTableView
from crm_project.versioning import StaleEdit, refused_edit_form

from .. import registry, services
from ..filters import CustomerFilter
from ..forms.customers import AttachmentForm, BulkActionForm, ConsentForm, CustomerForm, InteractionForm, ReassignForm
from ..models import Customer
from ..selectors import customers as selectors
from ..tables import CustomerTable

TIMELINE_PAGE_SIZE = 20


class CustomerListView(FilteredTableView):
    table_class = CustomerTable
    filterset_class = CustomerFilter
    template_name = "customers/customer_list.html"
    page_title = gettext_lazy("Customers")
    # Its bar's menus are users, teams, tags, RFM segments and custom fields (all watched).
    filter_bar_cached = True
    # Its rows are customers, companies, owners, tags and lifetime values (all watched).
    content_cached = True

    def get_queryset(self):
        # The table reads the page's tag badges in one query of its own (CustomerTable.page_tags),
        # and the extra columns' values for the page's rows (get_table): no joins for them here.
        return selectors.customer_list_for_user(user=self.request.user).prefetch_related(None)

    def get_table(self, **kwargs):
        table = super().get_table(**kwargs)
        # The page's records themselves (a page of BoundRows holds them as its data): the
        # extra columns' values are attached to them in one query per column.
        rows = table.page.object_list
        registry.attach_list_column_values(list(rows.data if isinstance(rows, BoundRows) else rows))
        return table

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        kwargs["custom_fields"] = selectors.custom_fields_active()
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        actions = bulk_actions_for(self.request.user)
        context["bulk_actions"] = actions
        # Built where it is drawn (customer_list.html), with its menus' cached options: its
        # fragment is kept per user, so a freshly drawn list seldom needs it (0.4 ms).
        # Its own ids: the filter bar has an "owner" and a "tag" select too.
        form = SimpleLazyObject(lambda: BulkActionForm(actions=actions, auto_id="bulk_%s"))
        context["bulk_form"] = form if actions else None
        context["may_create"] = selectors.may_create_customers(self.request.user)
        context["may_export"] = may_export_customers(self.request.user)
        context["filter_notes"] = self._scope_notes()
        context["list_links"] = registry.customer_list_links(self.request.user)
        return context

    def _scope_notes(self) -> list[str]:
        filterset = cast(CustomerFilter, self.filterset)
        if not filterset.is_valid():  # unbound: no form is built
            return []
        data, user = filterset.form.cleaned_data, self.request.user
        notes = (extension.scope_note(data, user=user) for extension in filterset.extensions)
        return [note for note in notes if note]

    def get_table_kwargs(self):
        kwargs: dict = {
            "extra_columns": [(column.name, column.column()) for column in registry.customer_list_columns()]
        }
        # Without bulk actions the rows need no checkboxes.
        if not bulk_actions_for(self.request.user):
            kwargs["exclude"] = ("ids",)
        return kwargs


def bulk_actions_for(user) -> list[str]:
    """The bulk actions the user may use: reassigning is for managers, tagging for
    whoever edits customers, exports for whoever may export (not support agents)."""
    actions = []
    if roles.is_manager_or_admin(user):
        actions.append("assign_owner")
    if selectors.may_create_customers(user):
        actions.append("add_tag")
    if may_export_customers(user):
        actions.append("export")
    actions += [action.key for action in registry.customer_bulk_actions(user)]
    return actions


def may_export_customers(user) -> bool:
    """Support agents read customers one by one; bulk copies are for sales and managers."""
    return selectors.may_create_customers(user)


@login_required
def customer_create(request):
    if not selectors.may_create_customers(request.user):
        raise PermissionDenied
    custom_fields = selectors.custom_fields_active()
    form = CustomerForm(request.POST or None, user=request.user, custom_fields=custom_fields)
    if request.method == "POST" and form.is_valid():
        customer = services.customer_create(
            actor=request.user,
            tags=form.cleaned_data["tags"],
            company=form.cleaned_data["company_name"],
            **form.service_fields(),
        )
        messages.success(request, _("%(name)s was added.") % {"name": customer})
        return redirect(customer)
    return render(
        request,
        "customers/customer_form.html",
        {
            "form": form,
            "title": _("New customer"),
            "crumbs": [(_("Customers"), reverse("customers:customer-list")), (_("New customer"), None)],
        },
    )


@login_required
def customer_edit(request, pk):
    customer = selectors.customer_get_for_user(user=request.user, pk=pk, write=True)
    custom_fields = selectors.custom_fields_active()
    # The form gets a copy: a ModelForm writes cleaned values onto its instance,
    # and the service must see the old values to record what changed.
    form = CustomerForm(request.POST or None, instance=copy(customer), user=request.user, custom_fields=custom_fields)
    if request.method == "POST" and form.is_valid():
        added, removed = form.tag_changes()
        try:
            services.customer_update(
                customer=customer,
                actor=request.user,
                version=form.opened_version(),
                add_tags=added,
                remove_tags=removed,
                company=form.cleaned_data["company_name"],
                **form.service_fields(),
            )
        except StaleEdit:
            current = selectors.customer_get_for_user(user=request.user, pk=pk)
            form = refused_edit_form(form, current=current, user=request.user, custom_fields=custom_fields)
        else:
            messages.success(request, _("Your changes were saved."))
            return redirect(customer)
    return render(
        request,
        "customers/customer_form.html",
        {
            "form": form,
            "customer": customer,
            "title": _("Edit %(name)s") % {"name": customer},
            "crumbs": [
                (_("Customers"), reverse("customers:customer-list")),
                (str(customer), customer.get_absolute_url()),
                (_("Edit"), None),
            ],
        },
    )


@login_required
def customer_detail(request, pk):
    customer = selectors.customer_get_for_user(user=request.user, pk=pk)
    writable = can_write(request.user, customer)
    custom_fields = selectors.custom_fields_active()
    context = {
        "customer": customer,
        "writable": writable,
        "tags": customer.tags.all(),
        "custom_values": selectors.custom_values_for_display(customer, custom_fields),
        "timeline_page": _timeline_page(customer, 1),
        "consent_log": selectors.customer_consent_log(customer=customer)[:5],
        "attachments": customer.attachments.select_related("uploaded_by"),
        "interaction_form": InteractionForm() if selectors.may_log_interactions(request.user, customer) else None,
        "consent_form": ConsentForm(initial={"status": customer.email_consent}) if writable else None,
        "reassign_form": ReassignForm(initial={"owner": customer.owner_id})
        if _may_reassign(request.user, customer)
        else None,
        "attachment_form": AttachmentForm() if writable else None,
        "crumbs": [(_("Customers"), reverse("customers:customer-list")), (str(customer), None)],
        "panels": _panels(request, customer),
    }
    return render(request, "customers/customer_detail.html", context)


def _panels(request, customer) -> list[dict]:
    """The cards other apps add to the page, rendered in the order settings list them;
    a panel with nothing to say renders nothing and takes no column."""
    rendered = [(panel.html_id, panel.render(request, customer)) for panel in registry.customer_panels()]
    return [{"html_id": html_id, "html": html} for html_id, html in rendered if html.strip()]


def _timeline_page(customer, number):
    return selectors.customer_timeline_page(customer=customer, number=number, per_page=TIMELINE_PAGE_SIZE)


def _may_reassign(user, customer) -> bool:
    return roles.is_manager_or_admin(user) and can_write(user, customer)


@login_required
def customer_timeline(request, pk):
    """The next page of the timeline, appended by htmx ("Show older")."""
    customer = selectors.customer_get_for_user(user=request.user, pk=pk)
    page = _timeline_page(customer, request.GET.get("page", 1))
    return render(request, "customers/partials/timeline_page.html", {"customer": customer, "timeline_page": page})


@require_POST
@login_required
def interaction_create(request, pk):
    customer = selectors.customer_get_for_user(user=request.user, pk=pk)
    if not selectors.may_log_interactions(request.user, customer):
        raise PermissionDenied
    form = InteractionForm(request.POST)
    # Forms elsewhere (the next best action on "My day") send the user back with `next`.
    back = next_url(request, customer.get_absolute_url())
    if form.is_valid():
        entry = services.interaction_log(customer=customer, actor=request.user, **form.cleaned_data)
        if not request.htmx:
            messages.success(request, _("Logged."))
            return redirect(back)
        return render(
            request,
            "customers/partials/interaction_logged.html",
            {"customer": customer, "form": InteractionForm(), "entry": entry},
        )
    if not request.htmx:
        messages.error(request, _("The entry was not logged: %(errors)s") % {"errors": form.errors.as_text()})
        return redirect(back)
    return render(request, "customers/partials/interaction_form.html", {"customer": customer, "form": form})


@require_POST
@login_required
def consent_update(request, pk):
    customer = selectors.customer_get_for_user(user=request.user, pk=pk, write=True)
    form = ConsentForm(request.POST)
    if form.is_valid():
        services.consent_record(
            customer=customer,
            status=form.cleaned_data["status"],
            source="manual",
            actor=request.user,
            note=form.cleaned_data["note"],
        )
        messages.success(request, _("Consent updated."))
    else:
        messages.error(request, _("Choose a consent status."))
    return redirect(customer)


@require_POST
@login_required
def customer_reassign(request, pk):
    customer = selectors.customer_get_for_user(user=request.user, pk=pk, write=True)
    if not _may_reassign(request.user, customer):
        raise PermissionDenied
    form = ReassignForm(request.POST)
    if form.is_valid():
        services.customer_reassign(customer=customer, owner=form.cleaned_data["owner"], actor=request.user)
        messages.success(request, _("%(name)s now belongs to %(owner)s.") % {"name": customer, "owner": customer.owner})
    else:
        messages.error(request, _("Choose the new owner."))
    return redirect(customer)


@login_required
def customer_delete(request, pk):
    customer = selectors.customer_get_for_user(user=request.user, pk=pk, write=True)
    if request.method == "POST":
        services.customer_delete(customer=customer, actor=request.user)
        messages.success(request, _("%(name)s was deleted. An administrator can restore it.") % {"name": customer})
        return redirect("customers:customer-list")
    return render(
        request,
        "customers/confirm_delete.html",
        {
            "object": customer,
            "cancel_url": customer.get_absolute_url(),
            "crumbs": [
                (_("Customers"), reverse("customers:customer-list")),
                (str(customer), customer.get_absolute_url()),
                (_("Delete"), None),
            ],
        },
    )


@require_POST
@login_required
def attachment_upload(request, pk):
    customer = selectors.customer_get_for_user(user=request.user, pk=pk, write=True)
    return attach_uploaded_file(request, record=customer, customer=customer)


def attach_uploaded_file(request, *, record, **parent):
    """Validate the upload, attach it to the customer or company, go back to its files."""
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        services.attachment_add(upload=form.cleaned_data["file"], actor=request.user, **parent)
        messages.success(request, _("The file was attached."))
    else:
        messages.error(request, " ".join(map(str, form.errors.get("file", [_("Choose a file.")]))))
    return redirect(record.get_absolute_url() + "#attachments")


@login_required
def attachment_download(request, pk):
    attachment = selectors.attachment_get_for_user(user=request.user, pk=pk)
    return FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.original_name)


@require_POST
@login_required
def customer_bulk(request):
    form = BulkActionForm(request.POST, actions=bulk_actions_for(request.user))
    back = next_url(request, reverse("customers:customer-list"))
    if not form.is_valid():
        messages.error(request, " ".join(" ".join(map(str, errors)) for errors in form.errors.values()))
        return redirect(back)
    action, ids = form.cleaned_data["action"], form.cleaned_data["ids"]
    extension = next((a for a in registry.customer_bulk_actions(request.user) if a.key == action), None)
    if extension is not None:  # another app's page takes the ids from here
        return redirect(reverse(extension.url_name) + "?ids=" + ",".join(map(str, ids)))
    if action == "export":
        return redirect(reverse("customers:customer-export", args=["csv"]) + "?ids=" + ",".join(map(str, ids)))
    customers = Customer.objects.editable_by(request.user).filter(pk__in=ids)
    if action == "assign_owner":
        if not roles.is_manager_or_admin(request.user):
            raise PermissionDenied
        count = services.customers_assign_owner(
            customers=customers, owner=form.cleaned_data["owner"], actor=request.user
        )
        messages.success(request, _("%(count)d customers reassigned.") % {"count": count})
    else:
        count = services.customers_add_tag(customers=customers, tag=form.cleaned_data["tag"], actor=request.user)
        messages.success(request, _("Tag added to %(count)d customers.") % {"count": count})
    return redirect(back)
