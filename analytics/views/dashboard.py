"""The managers' overview (/analytics/) and the cohort report (/analytics/cohorts/) with its CSV export.

Company-wide figures (revenue, cohorts, RFM) are for managers and admins; the
pipeline and the forecast on the overview follow the viewer's sales scope, as on
the board and the forecast page. The charts are drawn by static/js/analytics.js
from a json_script blob; the same figures are in tables under each chart.
"""

import csv

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from crm_project.permissions import manager_or_admin_required

from ..db import crm_today
from ..selectors.dashboard import (
    COHORT_MONTH_CHOICES,
    COHORT_MONTHS_DEFAULT,
    CohortReport,
    cohort_cells,
    cohort_report,
    monthly_figures,
    overview_forecast,
    pipeline_by_stage,
    rfm_history,
)

CSV_COLUMNS = ["cohort", "size", "months_since", "customers", "retention_pct", "revenue"]


@manager_or_admin_required
def overview(request):
    data = cohort_cells(refresh=_wants_refresh(request))
    months = monthly_figures(data=data, today=crm_today())
    pipeline = pipeline_by_stage(user=request.user)
    forecast = overview_forecast(user=request.user)
    rfm = rfm_history()
    context = {
        "months": months,
        "pipeline": pipeline,
        "stage_rows": [(column, pipeline.amount(column)) for column in pipeline.columns],
        "forecast": forecast,
        "rfm": rfm,
        "currency": settings.CRM_CURRENCY,
        "computed_at": data.computed_at,
        "chart_data": _overview_chart_data(months, pipeline, forecast, rfm),
        "crumbs": [(_("Analytics"), None)],
    }
    return render(request, "analytics/overview.html", context)


def _wants_refresh(request) -> bool:
    """?refresh=1 recomputes the cached cohort aggregation instead of reading it."""
    return request.GET.get("refresh") == "1"


def _month_labels(rows) -> list[str]:
    return [date_format(row.month, "YEAR_MONTH_FORMAT") for row in rows]


def _overview_chart_data(months, pipeline, forecast, rfm) -> dict:
    """The blob static/js/analytics.js draws from (amounts as decimal strings)."""
    return {
        "currency": settings.CRM_CURRENCY,
        "months": {
            "labels": _month_labels(months),
            "revenue": [str(row.revenue) for row in months],
            "orders": [row.orders for row in months],
            "aov": [None if row.average_order_value is None else str(row.average_order_value) for row in months],
            "new": [row.new_customers for row in months],
            "returning": [row.returning_customers for row in months],
        },
        "pipeline": {
            "labels": [column.stage.name for column in pipeline.columns],
            "amount": [str(pipeline.amount(column)) for column in pipeline.columns],
            "deals": [column.count for column in pipeline.columns],
        },
        "forecast": {
            "labels": _month_labels(forecast.months),
            "weighted": [str(row.weighted) for row in forecast.months],
            "commit": [str(row.commit) for row in forecast.months],
            "best_case": [str(row.best_case) for row in forecast.months],
            "closed_won": [str(row.closed_won) for row in forecast.months],
            "target": [None if row.target is None else str(row.target) for row in forecast.months],
        },
        "rfm": {
            "labels": [date_format(run.as_of, "SHORT_DATE_FORMAT") for run in rfm.runs],
            "series": [{"name": s.name, "color": s.color, "customers": s.customers} for s in rfm.series],
        },
        "names": {
            "revenue": _("Revenue"),
            "orders": _("Orders"),
            "aov": _("Average order value"),
            "new": _("New customers"),
            "returning": _("Returning customers"),
            "amount": _("Open amount"),
            "deals": _("Open deals"),
            "weighted": _("Weighted pipeline"),
            "commit": _("Commit"),
            "best_case": _("Best case"),
            "closed_won": _("Closed won"),
            "target": _("Target"),
        },
    }


# --- cohorts -----------------------------------------------------------------------------------
def _chosen_months(request) -> int:
    value = request.GET.get("months", "")
    return int(value) if value.isdigit() and int(value) in COHORT_MONTH_CHOICES else COHORT_MONTHS_DEFAULT


def _report(request, months: int) -> CohortReport:
    data = cohort_cells(refresh=_wants_refresh(request))
    return cohort_report(data=data, months=months, today=crm_today())


@manager_or_admin_required
def cohorts(request):
    months = _chosen_months(request)
    context = {
        "report": _report(request, months),
        "months": months,
        "month_choices": COHORT_MONTH_CHOICES,
        "currency": settings.CRM_CURRENCY,
        "crumbs": [(_("Analytics"), reverse("analytics:overview")), (_("Cohorts"), None)],
    }
    return render(request, "analytics/cohorts.html", context)


@manager_or_admin_required
def cohorts_export(request):
    """One row per cohort and month since its first order, up to the current month."""
    report = _report(request, _chosen_months(request))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="cohorts-{crm_today():%Y-%m-%d}.csv"'
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    for row in report.rows:
        for cell in row.months:
            pct = "" if cell.retention_pct is None else cell.retention_pct
            writer.writerow([f"{row.cohort:%Y-%m}", row.size, cell.months_since, cell.customers, pct, cell.revenue])
    return response
