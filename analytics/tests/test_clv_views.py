"""The lifetime-value report: who may open it, the fit in words, the charts' figures, the two
customer lists in the viewer's scope, the run picker, the export and the pinned query count."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from accounts.tests.factories import UserFactory
from analytics.models import ClvRun
from analytics.tests.clv_factory import HOLDOUT, clv_run
from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

REPORT = reverse("analytics:clv")
EXPORT = reverse("analytics:clv-export")


def csv_rows(response) -> list[dict]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


@pytest.fixture
def marketer(db):
    return UserFactory(username="mark", role=roles.MARKETER)


@pytest.fixture
def runs(owner, outsider):
    """Two runs. In the latest: the owner's big spender (top), the owner's fading regular (slipping
    away: active before, lapsed now, high past value), the owner's small fader (lapsed, but of low
    past value) and the South team's fader (slipping, but outside the North manager's scope)."""
    big = CustomerFactory(owner=owner, first_name="Grace", last_name="Hopper", external_ref="GH-1")
    fading = CustomerFactory(owner=owner, first_name="Rip", last_name="Winkle")
    small = CustomerFactory(owner=owner, first_name="Tiny", last_name="Tim")
    southern = CustomerFactory(owner=outsider, first_name="Sam", last_name="South")
    before = clv_run(
        calibration_end=timezone.localdate() - timedelta(days=8),
        scores={customer: {"p_alive": 0.9} for customer in (big, fading, small, southern)},
    )
    latest = clv_run(
        holdout=HOLDOUT,
        scores={
            big: {"clv": "900.00", "p_alive": 0.95, "frequency": 8},
            fading: {"clv": "120.00", "p_alive": 0.3, "frequency": 4},  # 4 × 50.00 = 200 ≥ 50
            small: {"clv": "5.00", "p_alive": 0.1, "frequency": 0},  # no repeat spend: not "high value"
            southern: {"clv": "300.00", "p_alive": 0.2, "frequency": 3},
        },
    )
    return {"before": before, "latest": latest, "big": big, "fading": fading, "small": small, "southern": southern}


def names(scores) -> list[str]:
    return [score.customer.last_name for score in scores]


# --- access ------------------------------------------------------------------------------
@pytest.mark.parametrize("url", [REPORT, EXPORT])
@pytest.mark.parametrize("persona", ["owner", "agent", "marketer"])
def test_reps_agents_and_marketers_may_not_see_the_report_or_its_export(client_for, request, runs, persona, url):
    response = client_for(request.getfixturevalue(persona)).get(url, {"run": runs["latest"].pk})

    assert response.status_code == 403


@pytest.mark.parametrize("persona", ["manager", "admin_user"])
def test_managers_and_admins_see_the_report(client_for, request, runs, persona):
    response = client_for(request.getfixturevalue(persona)).get(REPORT)

    assert response.status_code == 200
    assert response.context["run"] == runs["latest"]


def test_the_side_navigation_offers_lifetime_value_to_managers_only(client_for, manager, owner):
    assert reverse("analytics:clv") in client_for(manager).get(reverse("home"), follow=True).content.decode()
    assert reverse("analytics:clv") not in client_for(owner).get(reverse("home"), follow=True).content.decode()


# --- before the first fit ----------------------------------------------------------------
def test_before_the_first_fit_the_report_offers_to_run_it(client_for, manager, settings):
    settings.JOBS_RUNNABLE = [*settings.JOBS_RUNNABLE, "analytics.clv_fit"]

    html = client_for(manager).get(REPORT).content.decode()

    assert 'id="clv-empty"' in html
    assert f'action="{reverse("jobs:run-now", args=["analytics.clv_fit"])}"' in html


def test_an_unfinished_run_is_not_shown(client_for, manager):
    ClvRun.objects.create(calibration_end=timezone.localdate(), horizon=52, discount_rate=0.01)

    response = client_for(manager).get(REPORT)

    assert response.context["run"] is None


# --- the fit and its figures ---------------------------------------------------------------
def test_the_fit_reads_in_plain_words(client_for, manager, runs):
    html = client_for(manager).get(REPORT).content.decode()

    assert "A typical active customer buys about every 16.0 weeks." in html  # alpha / r = 4 / 0.25
    assert "After each purchase there is a 25 % chance that the customer stops buying for good." in html
    assert "A typical repeat purchase is worth about 30.00 EUR." in html  # p v / (q − 1) = 6 × 15 / 3
    assert "Fitted on 100 customers (40 with repeat purchases)" in html
    assert "Log-likelihood -1234.56" in html


def test_the_holdout_check_is_charted_and_tabled_by_frequency(client_for, manager, runs):
    response = client_for(manager).get(REPORT)

    chart = response.context["chart_data"]["holdout"]
    assert chart == {
        "labels": ["0", "1", "2", "7+"],
        "predicted": [0.21, 0.62, 1.1, 3.4],
        "actual": [0.18, 0.7, 0.9, 3.6],
    }
    html = response.content.decode()
    assert 'id="clv-holdout-chart"' in html and 'data-frequency="7+"' in html
    assert "the model predicted 41.5 repeat purchases and customers made 39" in html
    assert "vendor/chart.js/chart.umd.min.js" in html  # served locally, never from a CDN


def test_a_run_without_a_holdout_says_so_instead_of_a_chart(client_for, manager, owner):
    clv_run(scores={CustomerFactory(owner=owner): {}})

    html = client_for(manager).get(REPORT).content.decode()

    assert "This fit had no holdout period" in html
    assert 'id="clv-holdout-chart"' not in html


def test_the_distribution_and_the_expected_revenue_come_from_the_summary(client_for, manager, runs):
    response = client_for(manager).get(REPORT)

    assert response.context["chart_data"]["histogram"]["customers"] == [70, 20, 10]
    html = response.content.decode()
    assert "1,325.00 EUR" in html  # 900 + 120 + 5 + 300
    assert "over the next 52 weeks" in html


# --- the customer lists --------------------------------------------------------------------
def test_top_customers_are_ordered_by_clv_within_the_viewers_scope(client_for, manager, admin_user, runs):
    assert names(client_for(manager).get(REPORT).context["top"]) == ["Hopper", "Winkle", "Tim"]
    assert names(client_for(admin_user).get(REPORT).context["top"]) == ["Hopper", "South", "Winkle", "Tim"]


def test_slipping_away_lists_high_value_customers_whose_p_alive_fell(client_for, manager, admin_user, runs):
    assert names(client_for(manager).get(REPORT).context["slipping"]) == ["Winkle"]
    assert names(client_for(admin_user).get(REPORT).context["slipping"]) == ["South", "Winkle"]


def test_each_list_drills_into_the_customer_list(client_for, manager, runs):
    html = client_for(manager).get(REPORT).content.decode()

    customers = reverse("customers:customer-list")
    assert f'href="{customers}?clv_top=1&amp;sort=-clv"' in html
    assert f'href="{customers}?clv_slipping=1&amp;sort=-clv"' in html


def test_an_earlier_run_is_picked_and_its_drill_downs_name_it(client_for, manager, runs):
    before = runs["before"]

    response = client_for(manager).get(REPORT, {"run": before.pk})

    assert response.context["run"] == before
    assert response.context["slipping"] == []  # nothing before it to slip from
    assert f"?clv_top=1&amp;sort=-clv&amp;clv_run={before.pk}" in response.content.decode()


def test_a_run_whose_scores_were_pruned_shows_its_summary_without_lists(client_for, manager, runs):
    runs["before"].scores_kept = False
    runs["before"].save()

    response = client_for(manager).get(REPORT, {"run": runs["before"].pk})

    assert "top" not in response.context
    assert "Only this run's summary is kept" in response.content.decode()


@pytest.mark.parametrize("run", ["abc", "999999"])
def test_an_unknown_run_is_not_found(client_for, manager, runs, run):
    assert client_for(manager).get(REPORT, {"run": run}).status_code == 404


def test_the_report_takes_a_fixed_number_of_queries(client_for, manager, runs, django_assert_num_queries):
    client = client_for(manager)
    client.get(REPORT)  # the session
    # session, user, roles and teams (the scope); the runs menu (the latest run is its first);
    # top 25; the previous run, slipping away
    with django_assert_num_queries(7):
        client.get(REPORT)
    for _ in range(30):
        CustomerFactory(owner=runs["big"].owner)
    with django_assert_num_queries(7):
        client.get(REPORT)


# --- the export ----------------------------------------------------------------------------
def test_the_export_writes_the_top_list_in_the_viewers_scope(client_for, manager, runs):
    response = client_for(manager).get(EXPORT, {"run": runs["latest"].pk, "list": "top"})

    rows = csv_rows(response)
    assert [row["customer_ref"] for row in rows] == ["GH-1", str(runs["fading"].pk), str(runs["small"].pk)]
    assert rows[0]["clv"] == "900.00" and rows[0]["p_alive"] == "0.95" and rows[0]["name"] == "Grace Hopper"


def test_a_team_managers_slipping_export_holds_only_their_team(client_for, manager, admin_user, runs):
    params = {"run": runs["latest"].pk, "list": "slipping"}

    mine = csv_rows(client_for(manager).get(EXPORT, params))
    every = csv_rows(client_for(admin_user).get(EXPORT, params))

    assert [row["name"] for row in mine] == ["Rip Winkle"]
    assert [row["name"] for row in every] == ["Sam South", "Rip Winkle"]


def test_an_unknown_list_is_not_exported(client_for, manager, runs):
    assert client_for(manager).get(EXPORT, {"run": runs["latest"].pk, "list": "all"}).status_code == 404


def test_the_report_and_the_customer_card_read_in_turkish(client_for, manager, runs):
    client = client_for(manager)

    report = client.get(REPORT, headers={"accept-language": "tr"}).content.decode()
    card = client.get(
        reverse("customers:customer-detail", args=[runs["big"].pk]), headers={"accept-language": "tr"}
    ).content.decode()

    assert "Tipik bir aktif müşteri yaklaşık her 16,0 haftada bir alışveriş yapıyor." in report
    assert "Kaybedilmek üzere" in report
    assert "Modelin önümüzdeki 52 haftada beklediği tekrar alışverişler." in card
