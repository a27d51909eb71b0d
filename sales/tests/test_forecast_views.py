import csv
import io
import json
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from sales.models import Deal, Target
from sales.selectors.forecast import add_months
from sales.tests.factories import DealFactory, TargetFactory, stage_named

FORECAST = reverse("sales:forecast")
EXPORT = reverse("sales:forecast-export")


def this_month() -> date:
    return timezone.localdate().replace(day=1)


def open_deal(owner, amount="1000.00", stage="Proposal", months_ahead=0, **fields) -> Deal:
    closes = add_months(this_month(), months_ahead).replace(day=10)
    return DealFactory.create(
        owner=owner, amount=Decimal(amount), stage=stage_named(stage), expected_close_date=closes, **fields
    )


def test_a_manager_sees_the_forecast_table_and_the_chart_data(client_for, manager, owner, outsider):
    open_deal(owner, "1000.00", "Proposal")
    open_deal(outsider, "5000.00", "Proposal")
    response = client_for(manager).get(FORECAST)
    assert response.status_code == 200
    first = response.context["forecast"].months[0]
    assert (first.weighted, first.best_case) == (Decimal("500.00"), Decimal("1000.00"))
    content = response.content.decode()
    assert 'id="forecast-chart"' in content and "vendor/chart.js/chart.umd.min.js" in content
    blob = json.loads(content.split('<script id="forecast-data" type="application/json">')[1].split("</script>")[0])
    assert blob["series"]["weighted"][0] == "500.00"
    assert len(blob["labels"]) == 6 and len(blob["revenue"]) == 12
    assert "5,000.00" not in content


def test_a_rep_sees_their_own_forecast_without_team_choices(client_for, owner, teammate):
    open_deal(owner, "1000.00")
    open_deal(teammate, "300.00")
    response = client_for(owner).get(FORECAST)
    assert response.context["forecast"].months[0].best_case == Decimal("1000.00")
    assert response.context["form"].fields["scope"].choices == [("", "My deals")]
    assert reverse("sales:target-list") not in response.content.decode()


def test_support_agents_and_strangers_do_not_see_the_forecast(client, client_for, agent):
    assert client.get(FORECAST).status_code == 302
    assert client_for(agent).get(FORECAST).status_code == 403
    assert client_for(agent).get(EXPORT).status_code == 403


def test_a_manager_cannot_select_someone_outside_their_teams(client_for, manager, owner, outsider):
    open_deal(owner, "1000.00")
    open_deal(outsider, "5000.00")
    TargetFactory(user=outsider, month=this_month(), amount=Decimal("123.00"))
    response = client_for(manager).get(FORECAST, {"scope": f"user-{outsider.pk}"})
    row = response.context["forecast"].months[0]
    assert (row.best_case, row.target) == (Decimal("1000.00"), None)


def test_a_manager_narrows_to_one_rep(client_for, manager, owner, teammate):
    open_deal(owner, "1000.00")
    open_deal(teammate, "300.00")
    response = client_for(manager).get(FORECAST, {"scope": f"user-{teammate.pk}"})
    assert response.context["forecast"].months[0].best_case == Decimal("300.00")
    assert response.context["by_team"] == []


def test_the_csv_export_has_one_row_per_month_with_the_same_figures(client_for, manager, owner, team):
    open_deal(owner, "1000.00", "Negotiation", months_ahead=1)
    TargetFactory(team=team, month=add_months(this_month(), 1), amount=Decimal("2500.00"))
    response = client_for(manager).get(EXPORT, {"scope": f"team-{team.pk}"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="forecast-')
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["month", "currency", "weighted", "best_case", "commit", "closed_won", "target"]
    assert len(rows) == 10  # six months, then overdue, later and undated
    assert [row[0] for row in rows[7:]] == ["overdue", "later", "undated"]
    assert rows[1][0] == f"{this_month():%Y-%m}" and rows[1][-1] == ""
    assert rows[2] == [f"{add_months(this_month(), 1):%Y-%m}", "EUR", "750.00", "1000.00", "1000.00", "0.00", "2500.00"]


def test_the_forecast_page_query_count_is_pinned(client_for, manager, owner, teammate, django_assert_num_queries):
    client = client_for(manager)
    open_deal(owner)
    client.get(FORECAST)
    # session, user, roles and team ids (the scope names them as values),
    # currencies, teams, people, open rows, won rows, team targets,
    # member targets, open deals outside the months, revenue, breakdown by team, breakdown by owner
    with django_assert_num_queries(14):
        client.get(FORECAST)
    for months_ahead in range(6):
        open_deal(owner, months_ahead=months_ahead)
        open_deal(teammate, months_ahead=months_ahead, stage="Negotiation")
    with django_assert_num_queries(14):
        client.get(FORECAST)


# --- targets ---------------------------------------------------------------------------------
def test_a_manager_sees_the_targets_of_their_teams(client_for, manager, team, owner, other_team):
    TargetFactory(user=owner, month=this_month(), amount=Decimal("1234.00"))
    response = client_for(manager).get(reverse("sales:target-list"))
    assert [grid["team"] for grid in response.context["grids"]] == [team]
    content = response.content.decode()
    assert "1,234.00" in content
    assert reverse("sales:target-edit", args=[team.pk]) in content
    assert reverse("sales:target-edit", args=[other_team.pk]) not in content


def test_the_target_grid_saves_sets_and_clears_targets(client_for, manager, team, owner, teammate):
    month, following = this_month(), add_months(this_month(), 1)
    TargetFactory(user=teammate, month=month, amount=Decimal("50.00"))
    url = reverse("sales:target-edit", args=[team.pk])
    form = client_for(manager).get(url).context["form"]
    data = {name: "" for name in form.fields}
    data[f"user_{owner.pk}_{month:%Y%m}"] = "1000.50"
    data[f"team_{team.pk}_{following:%Y%m}"] = "3000"
    response = client_for(manager).post(url, data)
    assert response.url == reverse("sales:target-list")
    assert Target.objects.get(user=owner, month=month).amount == Decimal("1000.50")
    assert Target.objects.get(team=team, month=following).amount == Decimal("3000.00")
    assert not Target.objects.filter(user=teammate).exists()


def test_a_negative_target_is_refused(client_for, manager, team, owner):
    url = reverse("sales:target-edit", args=[team.pk])
    response = client_for(manager).post(url, {f"user_{owner.pk}_{this_month():%Y%m}": "-5"})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not Target.objects.exists()


@pytest.mark.parametrize("persona", ["owner", "agent"])
def test_only_managers_and_admins_set_targets(client_for, team, persona, request):
    client = client_for(request.getfixturevalue(persona))
    assert client.get(reverse("sales:target-list")).status_code == 403
    assert client.get(reverse("sales:target-edit", args=[team.pk])).status_code == 403


def test_a_manager_cannot_edit_another_teams_targets(client_for, manager, other_team):
    assert client_for(manager).get(reverse("sales:target-edit", args=[other_team.pk])).status_code == 404


def test_an_admin_edits_any_team(client_for, admin_user, other_team, outsider):
    response = client_for(admin_user).get(reverse("sales:target-edit", args=[other_team.pk]))
    assert response.status_code == 200
    assert f"user_{outsider.pk}_{this_month():%Y%m}" in response.context["form"].fields


def test_the_forecast_table_shows_overdue_later_and_undated_rows_only_when_they_hold_deals(client_for, manager, owner):
    open_deal(owner, "700.00", months_ahead=9)
    content = client_for(manager).get(FORECAST).content.decode()
    assert 'data-row="overdue"' in content  # always: it says nothing is overdue
    assert 'data-row="later"' in content and 'data-row="undated"' not in content
    later = content.split('data-row="later"', 1)[1].split("</tr>", 1)[0]
    assert "700.00" in later
