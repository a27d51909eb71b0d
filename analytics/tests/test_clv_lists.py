"""Lifetime value outside the report: the customer page's card, and the customer list's CLV
column, sort, filters and the report's drill-downs (with their chips and the team scope)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from analytics.tests.clv_factory import clv_run
from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

LIST = reverse("customers:customer-list")


def detail_url(customer) -> str:
    return reverse("customers:customer-detail", args=[customer.pk])


def listed(response) -> list[str]:
    return [row.record.last_name for row in response.context["table"].page.object_list]


def chips(response) -> list[str]:
    return [f"{chip.label}: {chip.value}" for chip in response.context["filter_chips"]]


@pytest.fixture
def scored(owner, outsider):
    """In the latest run: Hopper 900 (active), Winkle 120 (slipping away), Tim 5 (lapsed, low
    value), South 300 (the South team's, slipping away); Nobody has no score."""
    people = {
        name: CustomerFactory(owner=outsider if name == "South" else owner, last_name=name)
        for name in ("Hopper", "Winkle", "Tim", "South", "Nobody")
    }
    before = clv_run(
        calibration_end=timezone.localdate() - timedelta(days=8),
        scores={people[name]: {"p_alive": 0.9, "clv": "1.00"} for name in ("Hopper", "Winkle", "Tim", "South")},
    )
    latest = clv_run(
        scores={
            people["Hopper"]: {"clv": "900.00", "p_alive": 0.95, "frequency": 8, "expected_purchases": 3.24},
            people["Winkle"]: {"clv": "120.00", "p_alive": 0.3, "frequency": 4},
            people["Tim"]: {"clv": "5.00", "p_alive": 0.1, "frequency": 0},
            people["South"]: {"clv": "300.00", "p_alive": 0.2, "frequency": 3},
        }
    )
    return {"before": before, "latest": latest, **people}


# --- the customer page's card -------------------------------------------------------------
def test_the_customer_page_explains_p_alive_expected_purchases_and_clv(client_for, owner, scored):
    html = client_for(owner).get(detail_url(scored["Hopper"])).content.decode()

    assert 'id="customer-clv"' in html
    assert "Very likely still active" in html
    assert "judged from how often and how recently they bought: 95 %" in html
    assert "3.2" in html and "Repeat purchases the model expects in the next 52 weeks." in html
    assert "900.00 EUR" in html and "discounted to today" in html


def test_the_card_reads_the_latest_kept_run(client_for, owner, scored):
    scored["latest"].scores_kept = False
    scored["latest"].save()

    html = client_for(owner).get(detail_url(scored["Hopper"])).content.decode()

    assert "1.00 EUR" in html  # the run before, the latest that keeps its scores


def test_a_customer_without_a_score_gets_no_card_and_no_empty_column(client_for, owner, scored):
    html = client_for(owner).get(detail_url(scored["Nobody"])).content.decode()

    assert 'id="customer-clv"' not in html
    assert 'id="clv-panel"' not in html


# --- the column and the sort ----------------------------------------------------------------
def test_the_list_shows_each_customers_clv(client_for, manager, scored):
    response = client_for(manager).get(LIST)

    html = response.content.decode()
    assert "900.00" in html and "120.00" in html


def test_sorting_by_clv_lists_the_scored_customers_highest_first(client_for, admin_user, scored):
    response = client_for(admin_user).get(LIST, {"sort": "-clv"})

    assert listed(response) == ["Hopper", "South", "Winkle", "Tim"]
    assert listed(client_for(admin_user).get(LIST, {"sort": "clv"})) == ["Tim", "Winkle", "South", "Hopper"]


def test_the_list_without_a_clv_sort_keeps_every_customer(client_for, admin_user, scored):
    assert "Nobody" in listed(client_for(admin_user).get(LIST))


# --- the filters ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"clv_min": "100"}, ["Hopper", "South", "Winkle"]),
        ({"clv_max": "300"}, ["South", "Tim", "Winkle"]),
        ({"clv_min": "100", "clv_max": "300"}, ["South", "Winkle"]),
        ({"p_alive_max": "30"}, ["South", "Tim", "Winkle"]),
        ({"p_alive_max": "30", "clv_min": "10"}, ["South", "Winkle"]),
    ],
)
def test_the_list_filters_by_clv_and_p_alive(client_for, admin_user, scored, params, expected):
    assert listed(client_for(admin_user).get(LIST, params)) == expected


def test_the_p_alive_filter_reads_as_a_chip_in_per_cent(client_for, admin_user, scored):
    response = client_for(admin_user).get(LIST, {"p_alive_max": "30"})

    assert chips(response) == ["Chance still active, at most (%): 30 %"]


def test_the_slipping_drill_down_shows_its_chip_and_customers(client_for, admin_user, scored):
    response = client_for(admin_user).get(LIST, {"clv_slipping": "1", "sort": "-clv"})

    assert listed(response) == ["South", "Winkle"]
    assert chips(response) == ["Lifetime value: slipping away"]


def test_a_team_managers_drill_downs_hold_only_their_team(client_for, manager, scored):
    slipping = client_for(manager).get(LIST, {"clv_slipping": "1"})
    top = client_for(manager).get(LIST, {"clv_top": "1", "sort": "-clv"})

    assert listed(slipping) == ["Winkle"]
    assert slipping.context["filter_notes"] == ["1 of 2: the others belong to other teams."]
    assert listed(top) == ["Hopper", "Winkle", "Tim"]


def test_the_top_drill_down_keeps_the_twenty_five_highest(client_for, admin_user, owner):
    customers = [CustomerFactory(owner=owner, last_name=f"C{n:02}") for n in range(30)]
    clv_run(scores={customer: {"clv": f"{100 + n}.00"} for n, customer in enumerate(customers)})

    response = client_for(admin_user).get(LIST, {"clv_top": "1", "sort": "-clv", "per_page": "50"})

    assert listed(response) == [f"C{n:02}" for n in range(29, 4, -1)]
    assert chips(response) == ["Lifetime value: top 25"]


def test_a_drill_down_into_an_earlier_run_names_it(client_for, admin_user, scored):
    response = client_for(admin_user).get(LIST, {"clv_max": "1", "clv_run": scored["before"].pk})

    assert listed(response) == ["Hopper", "South", "Tim", "Winkle"]
    assert f"CLV run: run {scored['before'].pk}" in chips(response)


def test_before_any_fit_the_clv_filters_match_nobody(client_for, admin_user, owner):
    CustomerFactory(owner=owner)

    assert listed(client_for(admin_user).get(LIST, {"clv_min": "0"})) == []
