"""The managers' lifetime-value report and the CSV export of its two customer lists.

The fit's figures are company-wide (managers and admins only); the customer lists, their
drill-downs into the customer list and the export hold only customers the viewer may see.
The fit itself is a job (`analytics.clv_fit`), started from the job log's "Run now".
"""

from typing import Any

from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from crm_project.csv_export import csv_response
from crm_project.permissions import manager_or_admin_required

from ..models import ClvRun
from ..selectors import clv_report as selectors
from ..selectors.clv import clv_run_list

FIT_TASK = "analytics.clv_fit"
RUN_CHOICES = 50
LISTS = ("top", "slipping")


@manager_or_admin_required
def report(request):
    runs = list(clv_run_list().order_by("-pk")[:RUN_CHOICES])
    run_id = _int_param(request, "run")
    # The latest run is the menu's first: no query of its own.
    run = selectors.clv_run_get(run_id) if run_id else next(iter(runs), None)
    context: dict[str, Any] = {
        "run": run,
        "runs": runs,
        "may_run": FIT_TASK in settings.JOBS_RUNNABLE,
        "fit_task": FIT_TASK,
        "currency": settings.CRM_CURRENCY,
        "crumbs": [(_("Analytics"), reverse("analytics:overview")), (_("Lifetime value"), None)],
    }
    if run is not None:
        context |= _run_context(request, run, runs)
    return render(request, "analytics/clv_report.html", context)


def _run_context(request, run: ClvRun, runs: list[ClvRun]) -> dict:
    latest_kept = next((choice for choice in runs if choice.scores_kept), None)
    context: dict[str, Any] = {
        "fit": selectors.clv_fit_reading(run),
        "histogram": selectors.clv_histogram(run),
        "chart_data": selectors.clv_chart_data(run),
        # The customer list's CLV filters read the latest kept run unless told another.
        "names_run": latest_kept is None or latest_kept.pk != run.pk,
    }
    if run.scores_kept:
        slipping = selectors.clv_slipping_scores(run, user=request.user)
        context["top"] = list(selectors.clv_top_scores(run, user=request.user))
        # One more than the page shows: the card then says there are more in the customer list.
        context["slipping"] = list(slipping[: selectors.TOP_CUSTOMERS + 1])
    return context


def _int_param(request, name: str) -> int | None:
    value = request.GET.get(name, "")
    if value and not value.isdigit():
        raise Http404
    return int(value) if value else None


@manager_or_admin_required
def export(request):
    """The top customers or those slipping away in a run, limited to those the viewer may see."""
    run = selectors.clv_run_get(_int_param(request, "run"))
    which = request.GET.get("list", "top")
    if run is None or not run.scores_kept or which not in LISTS:
        raise Http404
    rows = selectors.clv_export_rows(selectors.clv_list_scores(run, which=which, user=request.user))
    return csv_response(rows, filename=f"clv-run-{run.pk}-{which}.csv", header=selectors.EXPORT_COLUMNS)
