"""Satisfaction results for managers and admins: per agent and per queue."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from accounts import roles

from ..forms.csat import CsatPeriodForm
from ..selectors import csat as selectors


@login_required
def csat_report(request):
    if not roles.is_manager_or_admin(request.user):
        raise PermissionDenied
    form = CsatPeriodForm(request.GET or None)
    date_from, date_to = form.period()
    results = selectors.csat_results(user=request.user, date_from=date_from, date_to=date_to)
    context = {"form": form, "results": results, "date_from": date_from, "date_to": date_to}
    return render(request, "support/csat_report.html", context)
