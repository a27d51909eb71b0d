"""The managers' RFM report, its "Run now" form and progress, and its CSV export.

The report's figures are company-wide (managers and admins only); drill-downs
go to the customer list and the export, both limited to what the viewer may see.
"""

from collections.abc import Iterable
from typing import Any

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm_project.csv_export import csv_response
from crm_project.fragments import cached_result
from crm_project.permissions import manager_or_admin_required
from jobs.models import JobRun
from jobs.selectors import jobrun_get_for_user
from jobs.services import job_enqueue

from .. import registry
from ..forms import RfmRunForm
from ..models import RfmRun
from ..selectors import rfm as selectors
from ..tasks import rfm_score

RUN_CHOICES = 50


@manager_or_admin_required
def report(request):
    return render(request, "analytics/rfm_report.html", _report_context(request, run_form=RfmRunForm()))


def _report_context(request, *, run_form: RfmRunForm) -> dict:
    # Runs and segments are watched (crm_project.fragments): read once per version, not per request.
    run_id = _int_param(request, "run")
    run = _one(cached_result(("rfm-run", run_id), lambda: [selectors.rfm_run_get(run_id)]))
    segments = cached_result(("rfm-segments",), lambda: [selectors.rfm_segments()])[0]
    # The run menus and the action buttons show only inside the report's cached body
    # (rfm_report.html): read when it is rendered, not when it comes from the cache.
    runs = SimpleLazyObject(lambda: list(selectors.rfm_run_list()[:RUN_CHOICES]))
    context: dict[str, Any] = {
        "run": run,
        "runs": runs,
        "segments": list(segments.values()),
        "run_form": run_form,
        "job": _running_job(request),
        "crumbs": [(_("Analytics"), reverse("analytics:overview")), (_("RFM segments"), None)],
    }
    if run is not None:
        context |= _run_context(request, run, segments)
        context["rfm_actions"] = SimpleLazyObject(lambda: _rfm_actions(request, run, runs))
    return context


def _rfm_actions(request, run: RfmRun, runs: Iterable[RfmRun]) -> list:
    """Other apps' buttons act on the latest kept scores: offered on that run only (newest first)."""
    latest_kept = next((choice for choice in runs if choice.scores_kept), None)
    on_latest = latest_kept is not None and latest_kept.pk == run.pk
    return registry.rfm_actions(request.user) if on_latest else []


def _run_context(request, run: RfmRun, segments: dict) -> dict:
    compare_id = _int_param(request, "compare") if request.GET.get("compare") else None
    compare = (
        _one(cached_result(("rfm-run", compare_id), lambda: [selectors.rfm_run_get(compare_id)]))
        if compare_id
        else None
    )
    compare = compare or _one(cached_result(("rfm-previous-run", run.pk), lambda: [selectors.rfm_previous_run(run)]))

    def movement():
        if compare is not None and compare.scores_kept and run.scores_kept and compare.pk != run.pk:
            return selectors.rfm_movement(compare, run, segments)
        return None

    # Shown only inside the report's cached body (rfm_report.html): worked out when it is
    # drawn, not on every request (the movement asks the cache for its counts).
    return {
        "grid": SimpleLazyObject(lambda: selectors.rfm_grid(run, segments)),
        "frequency_bands": SimpleLazyObject(lambda: selectors.rfm_frequency_bands(run)),
        "segment_rows": SimpleLazyObject(lambda: selectors.rfm_segment_table(run, segments)),
        "compare": compare,
        "movement": SimpleLazyObject(movement),
    }


def _one(rows: list) -> Any:
    return rows[0]


def _int_param(request, name: str) -> int | None:
    value = request.GET.get(name, "")
    if value and not value.isdigit():
        raise Http404
    return int(value) if value else None


def _running_job(request) -> JobRun | None:
    job_id = _int_param(request, "job")
    return jobrun_get_for_user(user=request.user, pk=job_id, name=rfm_score.name) if job_id else None


@require_POST
@manager_or_admin_required
def run_now(request):
    form = RfmRunForm(request.POST)
    if not form.is_valid():
        return render(request, "analytics/rfm_report.html", _report_context(request, run_form=form), status=400)
    job = job_enqueue(task=rfm_score, actor=request.user, kwargs=form.task_kwargs())
    messages.success(request, _("RFM scoring was queued; this page shows its progress."))
    return redirect(f"{reverse('analytics:rfm')}?job={job.pk}")


@manager_or_admin_required
def job_status(request, pk):
    """The progress box of a "Run now"; it polls itself while the job runs."""
    job = jobrun_get_for_user(user=request.user, pk=pk, name=rfm_score.name)
    return render(request, "analytics/partials/rfm_job.html", {"job": job})


@manager_or_admin_required
def export(request):
    """One row per scored customer of a run (optionally one segment or cell) that the viewer may see."""
    run = selectors.rfm_run_get(_int_param(request, "run"))
    if run is None or not run.scores_kept:
        raise Http404
    segment = request.GET.get("segment")
    cell = request.GET.get("cell", "")
    if (segment and not segment.isdigit()) or (cell and not (len(cell) == 2 and cell.isdigit())):
        raise Http404
    scores = selectors.rfm_scores_of(run_id=run.pk, segment=segment, cell=cell or None)
    rows = selectors.rfm_export_rows(scores, user=request.user)
    return csv_response(rows, filename=f"rfm-run-{run.pk}.csv", header=selectors.EXPORT_COLUMNS)
