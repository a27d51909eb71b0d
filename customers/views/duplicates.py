"""The duplicates page and the merge screen."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from crm_project.access import NONE

from ..forms.duplicates import CustomerMergeForm
from ..models import Customer
from ..selectors import customers as selectors
from ..selectors import duplicates as selectors_duplicates
from ..services.merge import customer_merge as merge_service


@login_required
def duplicate_list(request):
    if Customer.objects.write_scope(request.user) == NONE:
        raise PermissionDenied
    pairs = selectors_duplicates.duplicate_pairs_for_user(user=request.user)
    page = Paginator(pairs, settings.CRM_PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = selectors_duplicates.duplicate_pairs_load(list(page.object_list))
    context = {
        "page": page,
        "capped": len(pairs) >= selectors_duplicates.MAX_PAIRS,
        "max_pairs": selectors_duplicates.MAX_PAIRS,
        "crumbs": _crumbs(),
    }
    return render(request, "customers/duplicate_list.html", context)


@login_required
def customer_merge(request, a, b):
    if a == b:
        raise Http404
    first = selectors.customer_get_for_user(user=request.user, pk=a, write=True)
    second = selectors.customer_get_for_user(user=request.user, pk=b, write=True)
    form = CustomerMergeForm(request.POST or None, first=first, second=second)
    if request.method == "POST" and form.is_valid():
        other = form.other_record
        try:
            survivor = merge_service(
                survivor=form.survivor_record, other=other, field_values=form.field_values(), actor=request.user
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(
                request, _("%(other)s was merged into %(survivor)s.") % {"other": other, "survivor": survivor}
            )
            return redirect("customers:customer-detail", pk=survivor.pk)
    context = {
        "form": form,
        "first": first,
        "second": second,
        "crumbs": [*_crumbs(), (_("Merge"), None)],
    }
    return render(request, "customers/customer_merge.html", context)


def _crumbs() -> list[tuple[str, str]]:
    return [
        (_("Customers"), reverse("customers:customer-list")),
        (_("Duplicates"), reverse("customers:duplicate-list")),
    ]
