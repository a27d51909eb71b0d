"""RFM and lifetime value through the API: scores for every role within the customers
they may see (as the customer page's cards and list filters), the report's company-wide
segments and runs for managers and admins only (as the report pages)."""

import importlib

import pytest
from django.apps import apps
from django.utils import timezone

from analytics.models import RfmRun, RfmScore, RfmSegment
from analytics.services.rfm import _finish, rfm_cell_segments
from analytics.tests.clv_factory import clv_run
from api.representations import represent
from customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(owner, outsider):
    return {"mine": CustomerFactory(owner=owner), "theirs": CustomerFactory(owner=outsider)}


def score(run, customer, *, r, f, m=3, cells):
    return RfmScore.objects.create(
        run=run, customer=customer, recency_days=10, frequency=f, monetary=100, r_score=r, f_score=f, m_score=m,
        segment_id=cells[f"{r}{f}"],
    )  # fmt: skip


@pytest.fixture
def rfm_run(people):
    """The latest kept run: the owner's customer a Champion (R5 F5), the outsider's At Risk (R2 F4)."""
    migration = importlib.import_module("analytics.migrations.0002_default_segments_and_nightly_run")
    migration.create_defaults(apps, None)
    cells = rfm_cell_segments()
    earlier = RfmRun.objects.create(as_of=timezone.localdate())
    score(earlier, people["mine"], r=1, f=1, cells=cells)
    _finish(earlier, cells, 0)
    run = RfmRun.objects.create(as_of=timezone.localdate())
    score(run, people["mine"], r=5, f=5, cells=cells)
    score(run, people["theirs"], r=2, f=4, cells=cells)
    _finish(run, cells, 0)
    return run


def customers_of(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["customer"] for row in response.json()["results"]}


# --- RFM scores -------------------------------------------------------------------------------
def test_a_rep_lists_the_latest_runs_scores_of_their_own_customers_only(api_client, owner, people, rfm_run):
    response = api_client(owner).get("/api/v1/rfm/scores/")
    rows = response.json()["results"]
    assert [row["customer"] for row in rows] == [people["mine"].pk]
    assert rows[0]["run"] == rfm_run.pk
    assert (rows[0]["r_score"], rows[0]["f_score"], rows[0]["segment_name"]) == (5, 5, "Champions")


def test_an_outsider_sees_only_their_customers_score(api_client, outsider, people, rfm_run):
    assert customers_of(api_client(outsider).get("/api/v1/rfm/scores/")) == {people["theirs"].pk}


def test_a_teammate_sees_no_score_of_the_owners_customers_under_own_scope(api_client, teammate, people, rfm_run):
    assert customers_of(api_client(teammate).get("/api/v1/rfm/scores/")) == set()


def test_a_manager_sees_their_teams_scores_and_an_admin_everyones(api_client, manager, admin_user, people, rfm_run):
    assert customers_of(api_client(manager).get("/api/v1/rfm/scores/")) == {people["mine"].pk}
    assert customers_of(api_client(admin_user).get("/api/v1/rfm/scores/")) == {p.pk for p in people.values()}


def test_an_agent_sees_every_customers_score_as_on_the_customer_pages(api_client, agent, people, rfm_run):
    assert customers_of(api_client(agent).get("/api/v1/rfm/scores/")) == {p.pk for p in people.values()}


def test_scores_filter_by_segment_r_f_m_and_customer(api_client, admin_user, people, rfm_run):
    client = api_client(admin_user)
    at_risk = RfmSegment.objects.get(name="At Risk")
    assert customers_of(client.get(f"/api/v1/rfm/scores/?segment={at_risk.pk}")) == {people["theirs"].pk}
    assert customers_of(client.get("/api/v1/rfm/scores/?r=5&f=5")) == {people["mine"].pk}
    assert customers_of(client.get("/api/v1/rfm/scores/?m=3")) == {p.pk for p in people.values()}
    assert customers_of(client.get(f"/api/v1/rfm/scores/?customer={people['theirs'].pk}")) == {people["theirs"].pk}


def test_a_score_filter_out_of_range_is_a_problem_naming_the_field(api_client, admin_user, rfm_run):
    response = api_client(admin_user).get("/api/v1/rfm/scores/?r=9")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert [error["attr"] for error in response.json()["errors"]] == ["r"]


def test_scores_are_empty_before_the_first_run(api_client, admin_user, people):
    assert customers_of(api_client(admin_user).get("/api/v1/rfm/scores/")) == set()


# --- the report's segments and runs -----------------------------------------------------------
def test_a_manager_gets_the_segment_rules_with_the_latest_runs_counts(api_client, manager, rfm_run):
    response = api_client(manager).get("/api/v1/rfm/segments/")
    assert response.status_code == 200
    rows = {row["name"]: row for row in response.json()}
    assert rows["Champions"]["customers"] == 1 and rows["At Risk"]["customers"] == 1
    assert rows["Hibernating"]["customers"] == 0 and rows["Hibernating"]["run"] == rfm_run.pk
    assert [row["name"] for row in response.json()] == list(RfmSegment.objects.values_list("name", flat=True))


def test_the_reports_figures_are_403_for_reps_agents_and_outsiders(api_client, owner, outsider, agent, rfm_run):
    paths = ("/api/v1/rfm/segments/", "/api/v1/rfm/runs/", f"/api/v1/rfm/runs/{rfm_run.pk}/", "/api/v1/clv/runs/")
    for user in (owner, outsider, agent):
        client = api_client(user)
        for path in paths:
            response = client.get(path)
            assert response.status_code == 403, (user, path)
            assert "managers and admins" in response.json()["detail"]


def test_a_manager_lists_runs_newest_first_and_reads_one_with_its_summary(api_client, manager, rfm_run):
    client = api_client(manager)
    runs = client.get("/api/v1/rfm/runs/").json()["results"]
    assert [run["id"] for run in runs] == list(RfmRun.objects.order_by("-pk").values_list("pk", flat=True))
    assert "summary" not in runs[0]
    detail = client.get(f"/api/v1/rfm/runs/{rfm_run.pk}/").json()
    assert detail["n_scored"] == 2 and detail["summary"]["cells"]["55"] == 1
    assert client.get("/api/v1/rfm/runs/999999/").status_code == 404


def test_the_report_turns_turkish_for_a_turkish_client(api_client, owner, rfm_run):
    response = api_client(owner).get("/api/v1/rfm/segments/", HTTP_ACCEPT_LANGUAGE="tr")
    assert "yöneticiler" in response.json()["detail"]


def test_a_token_for_another_app_cannot_read_analytics(api_client, admin_user, rfm_run):
    assert api_client(admin_user, apps=("sales",)).get("/api/v1/rfm/scores/").status_code == 403


# --- lifetime value ---------------------------------------------------------------------------
@pytest.fixture
def clv(people):
    clv_run(scores={people["mine"]: {"clv": "90.00"}}, scores_kept=True)  # an earlier run
    return clv_run(scores={people["mine"]: {"clv": "250.00", "p_alive": 0.3}, people["theirs"]: {"clv": "40.00"}})


def test_clv_scores_are_the_latest_runs_within_the_viewers_customers(api_client, owner, admin_user, people, clv):
    rows = api_client(owner).get("/api/v1/clv/scores/").json()["results"]
    assert [(row["customer"], row["run"], row["clv"]) for row in rows] == [(people["mine"].pk, clv.pk, "250.00")]
    assert customers_of(api_client(admin_user).get("/api/v1/clv/scores/")) == {p.pk for p in people.values()}


def test_clv_scores_filter_by_value_and_chance_still_active(api_client, admin_user, people, clv):
    client = api_client(admin_user)
    assert customers_of(client.get("/api/v1/clv/scores/?clv_min=100")) == {people["mine"].pk}
    assert customers_of(client.get("/api/v1/clv/scores/?p_alive_max=0.5")) == {people["mine"].pk}


def test_an_outsider_gets_none_of_the_owners_clv(api_client, outsider, people, clv):
    client = api_client(outsider)
    assert customers_of(client.get(f"/api/v1/clv/scores/?customer={people['mine'].pk}")) == set()


def test_a_manager_reads_clv_runs_with_the_fit(api_client, manager, clv):
    client = api_client(manager)
    assert client.get("/api/v1/clv/runs/").json()["results"][0]["id"] == clv.pk
    detail = client.get(f"/api/v1/clv/runs/{clv.pk}/").json()
    assert detail["bgnbd_params"]["r"] == 0.25 and "summary" in detail


def test_analytics_is_read_only(api_client, admin_user, rfm_run):
    client = api_client(admin_user)
    assert client.post("/api/v1/rfm/scores/", {}, format="json").status_code == 405
    assert client.delete(f"/api/v1/rfm/runs/{rfm_run.pk}/").status_code == 405


def test_a_runs_webhook_representation_is_the_run_as_the_api_lists_it(api_client, admin_user, rfm_run):
    listed = api_client(admin_user).get("/api/v1/rfm/runs/").json()["results"][0]
    assert represent(rfm_run) == listed


def test_scores_expand_their_customer_and_trim_to_the_fields_asked(api_client, owner, people, rfm_run, clv):
    client = api_client(owner)
    row = client.get("/api/v1/rfm/scores/?expand=customer&fields=customer,segment_name").json()["results"][0]
    assert row == {"customer": row["customer"], "segment_name": "Champions"}
    assert row["customer"]["email"] == people["mine"].email
    clv_row = client.get("/api/v1/clv/scores/?expand=customer").json()["results"][0]
    assert clv_row["customer"]["id"] == people["mine"].pk
