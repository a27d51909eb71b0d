"""The forecast page with its CSV export, and the monthly targets managers set.

Who sees what: managers and admins forecast their whole scope, one of their
teams or one of their people; reps see their own forecast only; other roles
get 403. Every figure starts from Deal/Order.objects.visible_to(user).
"""

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from crm_project.permissions import manager_or_admin_required

from ..forms.forecast import ForecastFilterForm, TargetGridForm
from ..models import Target
from ..selectors.forecast import (
    forecast_breakdown,
    forecast_currencies,
    forecast_for,
    forecast_months,
    forecast_people,
    forecast_teams,
    may_see_forecast,
    revenue_by_month,
    team_targets,
)
from ..services.forecast import targets_save_grid

CSV_COLUMNS = ["month", "currency", "weighted", "best_case", "commit", "closed_won", "target"]


def _filter_form(request) -> ForecastFilterForm:
    if not may_see_forecast(request.user):
        raise PermissionDenied
    currencies = forecast_currencies(user=request.user)
    return ForecastFilterForm(request.GET or None, user=request.user, currencies=currencies)


@login_required
def forecast(request):
    form = _filter_form(request)
    scope, currency = form.selection(), form.chosen_currency()
    result = forecast_for(user=request.user, scope=scope, currency=currency, teams=list(form.teams.values()))
    revenue = revenue_by_month(user=request.user, scope=scope, currency=currency)
    by_team = []
    if scope.team is None and scope.user is None and form.teams:
        by_team = forecast_breakdown(user=request.user, scope=scope, currency=currency, by="team")
    context = {
        "form": form,
        "forecast": result,
        "revenue": revenue,
        "by_owner": forecast_breakdown(user=request.user, scope=scope, currency=currency, by="owner"),
        "by_team": by_team,
        "chart_data": _chart_data(result, revenue),
        "export_query": request.GET.urlencode(),
        "crumbs": [(_("Forecast"), None)],
    }
    return render(request, "sales/forecast.html", context)


def _chart_data(result, revenue) -> dict:
    """The blob static/js/forecast.js draws from (amounts as decimal strings)."""
    return {
        "currency": result.currency,
        "labels": [date_format(row.month, "YEAR_MONTH_FORMAT") for row in result.months],
        "series": {
            "weighted": [str(row.weighted) for row in result.months],
            "best_case": [str(row.best_case) for row in result.months],
            "commit": [str(row.commit) for row in result.months],
            "closed_won": [str(row.closed_won) for row in result.months],
            "target": [str(row.target) if row.target is not None else None for row in result.months],
        },
        "names": {
            "weighted": _("Weighted pipeline"),
            "best_case": _("Best case"),
            "commit": _("Commit"),
            "closed_won": _("Closed won"),
            "target": _("Target"),
            "revenue": _("Revenue (paid orders)"),
        },
        "revenue_labels": [date_format(row.month, "YEAR_MONTH_FORMAT") for row in revenue],
        "revenue": [str(row.revenue) for row in revenue],
    }


@login_required
def forecast_export(request):
    """The monthly rows of the forecast on screen, as CSV."""
    form = _filter_form(request)
    teams = list(form.teams.values())
    result = forecast_for(user=request.user, scope=form.selection(), currency=form.chosen_currency(), teams=teams)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = f"forecast-{timezone.localdate():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    for row in result.months:
        target = "" if row.target is None else row.target
        writer.writerow(
            [f"{row.month:%Y-%m}", result.currency, row.weighted, row.best_case, row.commit, row.closed_won, target]
        )
    if result.outside:
        for name, row in zip(("overdue", "later", "undated"), result.outside.rows(), strict=True):
            writer.writerow([name, result.currency, row.weighted, row.best_case, row.commit, "", ""])
    return response


# --- targets ---------------------------------------------------------------------------------
@manager_or_admin_required
def target_list(request):
    """Each team the user manages, with its members' and its own targets for the next six months."""
    months = forecast_months()
    teams = list(forecast_teams(request.user).prefetch_related("members"))
    user_targets = {
        (target.user_id, target.month): target.amount
        for target in Target.objects.filter(user__teams__in=teams, month__in=months).distinct()
    }
    effective = team_targets(teams=teams, months=months)
    own = {(target.team_id, target.month) for target in Target.objects.filter(team__in=teams, month__in=months)}
    grids = [
        {
            "team": team,
            "team_row": [(effective.get((team.pk, month)), (team.pk, month) in own) for month in months],
            "members": [
                (member, [user_targets.get((member.pk, month)) for month in months])
                for member in sorted(team.members.all(), key=str)
            ],
        }
        for team in teams
    ]
    context = {
        "months": months,
        "grids": grids,
        "crumbs": [(_("Forecast"), reverse("sales:forecast")), (_("Targets"), None)],
    }
    return render(request, "sales/forecast_targets.html", context)


@manager_or_admin_required
def target_edit(request, team_pk):
    """The month grid for one team: a row for the team, one per member, six month columns."""
    team = get_object_or_404(forecast_teams(request.user), pk=team_pk)
    months = forecast_months()
    members = sorted(forecast_people(request.user).filter(teams=team), key=str)
    initial = {
        ("user", t.user_id, t.month): t.amount for t in Target.objects.filter(user__in=members, month__in=months)
    }
    initial.update({("team", t.team_id, t.month): t.amount for t in Target.objects.filter(team=team, month__in=months)})
    form = TargetGridForm(request.POST or None, team=team, members=members, months=months, initial_targets=initial)
    if request.method == "POST" and form.is_valid():
        changed = targets_save_grid(team=team, targets=form.cleaned_targets(), actor=request.user)
        messages.success(request, _("Targets saved (%(count)d changed).") % {"count": changed})
        return redirect("sales:target-list")
    context = {
        "form": form,
        "team": team,
        "months": months,
        "crumbs": [
            (_("Forecast"), reverse("sales:forecast")),
            (_("Targets"), reverse("sales:target-list")),
            (str(team), None),
        ],
    }
    return render(request, "sales/forecast_target_form.html", context)
