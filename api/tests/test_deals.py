"""/api/v1/deals/, /pipelines/ and /stages/: the deal pages' rules through a token."""

from decimal import Decimal

import pytest

from api.representations import represent
from customers.models import Interaction
from customers.tests.factories import CustomerFactory
from sales.models import Deal, DealStageChange, Stage
from sales.tests.factories import DealFactory, DealProductFactory, PipelineFactory, StageFactory, stage_named

pytestmark = pytest.mark.django_db

DEALS = "/api/v1/deals/"


def url(deal, action: str = "") -> str:
    return f"{DEALS}{deal.pk}/{action + '/' if action else ''}"


def titles(response) -> set[str]:
    return {row["title"] for row in response.json()["results"]}


# --- who sees what --------------------------------------------------------------------------
def test_a_rep_lists_only_their_own_deals(api_client, owner, teammate, outsider):
    DealFactory(owner=owner, title="Mine")
    DealFactory(owner=teammate, title="Teammate's")
    DealFactory(owner=outsider, title="Outsider's")

    assert titles(api_client(owner).get(DEALS)) == {"Mine"}


def test_a_manager_lists_the_teams_deals(api_client, manager, owner, teammate, outsider):
    DealFactory(owner=owner, title="A")
    DealFactory(owner=teammate, title="B")
    DealFactory(owner=outsider, title="C")

    assert titles(api_client(manager).get(DEALS)) == {"A", "B"}


def test_an_outsider_gets_an_empty_list_and_404_on_every_deal_action(api_client, owner, outsider):
    deal = DealFactory(owner=owner)
    client = api_client(outsider)
    lost = stage_named("Lost")

    assert client.get(DEALS).json()["results"] == []
    assert client.get(url(deal)).status_code == 404
    assert client.patch(url(deal), {"title": "Mine now"}, format="json").status_code == 404
    assert client.post(url(deal, "move"), {"stage": lost.pk, "lost_reason": "x"}, format="json").status_code == 404
    assert client.post(url(deal, "win")).status_code == 404
    assert client.post(url(deal, "lose"), {"lost_reason": "x"}, format="json").status_code == 404
    deal.refresh_from_db()
    assert deal.status == Deal.Status.OPEN and deal.title != "Mine now"


def test_a_support_agent_reads_a_deal_but_gets_no_list_and_changes_nothing(api_client, agent, owner):
    deal = DealFactory(owner=owner, title="Renewal")
    client = api_client(agent)

    assert client.get(DEALS).status_code == 403
    assert client.get(url(deal)).json()["title"] == "Renewal"
    assert client.patch(url(deal), {"title": "Changed"}, format="json").status_code == 403
    assert client.post(url(deal, "win")).status_code == 403
    deal.refresh_from_db()
    assert deal.title == "Renewal" and deal.status == Deal.Status.OPEN


def test_a_read_only_token_cannot_create_or_move_a_deal(api_client, owner):
    deal = DealFactory(owner=owner)
    client = api_client(owner, scopes=("read",))

    assert client.get(url(deal)).status_code == 200
    assert client.post(url(deal, "win")).status_code == 403
    customer = CustomerFactory(owner=owner)
    assert client.post(DEALS, {"title": "New", "customer": customer.pk}, format="json").status_code == 403
    assert Deal.objects.count() == 1
    deal.refresh_from_db()
    assert deal.status == Deal.Status.OPEN


def test_a_token_limited_to_another_app_cannot_read_deals(api_client, owner):
    DealFactory(owner=owner)

    assert api_client(owner, apps=("customers",)).get(DEALS).status_code == 403


# --- create and update ----------------------------------------------------------------------
def test_a_rep_opens_a_deal_in_the_first_stage_with_an_audit_entry(api_client, owner):
    customer = CustomerFactory(owner=owner)

    response = api_client(owner).post(
        DEALS, {"title": "Fleet", "customer": customer.pk, "amount": "1200.00"}, format="json"
    )

    assert response.status_code == 201
    deal = Deal.objects.get(pk=response.json()["id"])
    assert deal.stage == stage_named("Qualification") and deal.owner == owner
    assert deal.amount == Decimal("1200.00")
    assert DealStageChange.objects.filter(deal=deal, from_stage=None, to_stage=deal.stage).exists()
    assert Interaction.objects.filter(customer=customer, action="deal.created", data__deal=deal.pk).exists()


def test_a_rep_cannot_open_a_deal_for_someone_elses_customer(api_client, owner, outsider):
    customer = CustomerFactory(owner=outsider)

    response = api_client(owner).post(DEALS, {"title": "Theirs", "customer": customer.pk}, format="json")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert [error["attr"] for error in response.json()["errors"]] == ["customer"]
    assert not Deal.objects.exists()


def test_a_stage_of_another_pipeline_is_refused_naming_the_stage(api_client, owner):
    customer = CustomerFactory(owner=owner)
    other = StageFactory(pipeline=PipelineFactory())

    response = api_client(owner).post(
        DEALS, {"title": "X", "customer": customer.pk, "pipeline": stage_named("Won").pipeline_id, "stage": other.pk},
        format="json",
    )  # fmt: skip

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "stage"
    assert not Deal.objects.exists()


def test_a_rep_cannot_choose_the_owner_but_a_manager_can(api_client, owner, teammate, manager):
    customer = CustomerFactory(owner=owner)

    by_rep = api_client(owner).post(DEALS, {"title": "A", "customer": customer.pk, "owner": teammate.pk}, format="json")
    by_manager = api_client(manager).post(
        DEALS, {"title": "B", "customer": customer.pk, "owner": teammate.pk}, format="json"
    )

    assert Deal.objects.get(pk=by_rep.json()["id"]).owner == owner
    assert Deal.objects.get(pk=by_manager.json()["id"]).owner == teammate


def test_editing_a_deal_saves_and_leaves_an_audit_entry(api_client, owner):
    deal = DealFactory(owner=owner, title="Old")

    response = api_client(owner).patch(url(deal), {"title": "New", "version": deal.version}, format="json")

    assert response.status_code == 200
    assert response.json()["title"] == "New" and response.json()["version"] == deal.version + 1
    assert Interaction.objects.filter(action="deal.updated", data__deal=deal.pk, data__fields=["title"]).exists()


def test_a_stale_version_is_a_409_and_changes_nothing(api_client, owner):
    deal = DealFactory(owner=owner, title="Old")
    client = api_client(owner)
    client.patch(url(deal), {"title": "First", "version": 1}, format="json")

    response = client.patch(url(deal), {"title": "Second", "version": 1}, format="json")

    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    deal.refresh_from_db()
    assert deal.title == "First"


def test_a_deal_with_products_refuses_a_new_amount(api_client, owner):
    deal = DealFactory(owner=owner, amount=Decimal("99.00"))
    DealProductFactory(deal=deal)

    response = api_client(owner).patch(url(deal), {"amount": "5.00"}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "amount"
    deal.refresh_from_db()
    assert deal.amount == Decimal("99.00")


def test_there_is_no_deleting_a_deal(api_client, owner):
    deal = DealFactory(owner=owner)

    assert api_client(owner).delete(url(deal)).status_code == 405
    assert Deal.objects.filter(pk=deal.pk).exists()


# --- move, win, lose ------------------------------------------------------------------------
def test_moving_a_deal_records_the_stage_change_and_a_timeline_entry(api_client, owner):
    deal = DealFactory(owner=owner)
    proposal = stage_named("Proposal")

    response = api_client(owner).post(url(deal, "move"), {"stage": proposal.pk}, format="json")

    assert response.status_code == 200 and response.json()["stage"] == proposal.pk
    assert DealStageChange.objects.filter(deal=deal, to_stage=proposal).exists()
    assert Interaction.objects.filter(action="deal.stage_changed", data__deal=deal.pk, data__to=proposal.pk).exists()


def test_a_stage_of_another_pipeline_cannot_be_moved_to(api_client, owner):
    deal = DealFactory(owner=owner)
    other = StageFactory(pipeline=PipelineFactory())

    response = api_client(owner).post(url(deal, "move"), {"stage": other.pk}, format="json")

    assert response.status_code == 400 and response.json()["errors"][0]["attr"] == "stage"
    deal.refresh_from_db()
    assert deal.stage == stage_named("Qualification")


def test_winning_a_deal_closes_it_in_the_won_stage(api_client, owner):
    deal = DealFactory(owner=owner)

    response = api_client(owner).post(url(deal, "win"))

    assert response.status_code == 200 and response.json()["status"] == "won"
    deal.refresh_from_db()
    assert deal.stage == stage_named("Won") and deal.closed_at is not None
    assert Interaction.objects.filter(action="deal.won", data__deal=deal.pk).exists()


def test_losing_a_deal_needs_a_reason(api_client, owner):
    deal = DealFactory(owner=owner)
    client = api_client(owner)

    refused = client.post(url(deal, "lose"), {"lost_reason": "  "}, format="json")
    deal.refresh_from_db()
    assert refused.status_code == 400 and refused.json()["errors"][0]["attr"] == "lost_reason"
    assert deal.status == Deal.Status.OPEN and not DealStageChange.objects.filter(deal=deal, from_stage__isnull=False)

    lost = client.post(url(deal, "lose"), {"lost_reason": "Too expensive"}, format="json")
    deal.refresh_from_db()
    assert lost.status_code == 200
    assert deal.status == Deal.Status.LOST and deal.lost_reason == "Too expensive"


def test_moving_to_a_lost_stage_needs_a_reason(api_client, owner):
    deal = DealFactory(owner=owner)

    response = api_client(owner).post(url(deal, "move"), {"stage": stage_named("Lost").pk}, format="json")

    assert response.status_code == 400 and response.json()["errors"][0]["attr"] == "lost_reason"
    deal.refresh_from_db()
    assert deal.status == Deal.Status.OPEN


# --- filters, expand, queries ---------------------------------------------------------------
def test_the_list_takes_the_deal_pages_filters(api_client, owner):
    customer = CustomerFactory(owner=owner, last_name="Yilmaz")
    DealFactory(owner=owner, title="Fleet renewal", customer=customer)
    DealFactory(owner=owner, title="Won one", stage=stage_named("Won"), status=Deal.Status.WON)
    client = api_client(owner)

    assert titles(client.get(DEALS, {"q": "yilmaz"})) == {"Fleet renewal"}
    assert titles(client.get(DEALS, {"status": "won"})) == {"Won one"}
    assert titles(client.get(DEALS, {"stage": stage_named("Won").pk})) == {"Won one"}


def test_expand_gives_the_customer_and_the_stage_in_place_of_their_ids(api_client, owner):
    deal = DealFactory(owner=owner)

    row = api_client(owner).get(DEALS, {"expand": "customer,stage"}).json()["results"][0]

    assert row["customer"]["id"] == deal.customer_id and row["customer"]["last_name"] == deal.customer.last_name
    assert row["stage"]["name"] == "Qualification"


def test_fields_trims_the_response(api_client, owner):
    DealFactory(owner=owner, title="Only this")

    row = api_client(owner).get(DEALS, {"fields": "id,title"}).json()["results"][0]

    assert set(row) == {"id", "title"}


@pytest.mark.parametrize("rows", [2, 6])
def test_the_deal_list_takes_the_same_queries_whatever_its_length(
    api_client, manager, owner, rows, django_assert_num_queries
):
    for _ in range(rows):
        DealFactory(owner=owner)
    client = api_client(manager)
    client.get(DEALS)  # the token's first use records it

    # token, roles and teams, the page (with its customers and stages), the customers' tags
    with django_assert_num_queries(4):
        response = client.get(DEALS, {"expand": "customer,stage"})
    assert len(response.json()["results"]) == rows


# --- pipelines and stages -------------------------------------------------------------------
def test_pipelines_list_their_stages_in_order(api_client, owner):
    response = api_client(owner).get("/api/v1/pipelines/")

    pipeline = response.json()["results"][0]
    assert [stage["name"] for stage in pipeline["stages"]][:2] == ["Qualification", "Needs analysis"]


def test_stages_filter_by_pipeline_and_are_read_only(api_client, owner, admin_user):
    other = PipelineFactory()
    StageFactory(pipeline=other, name="Only here")
    client = api_client(admin_user)

    response = client.get("/api/v1/stages/", {"pipeline": other.pk})

    assert [stage["name"] for stage in response.json()["results"]] == ["Only here"]
    assert client.post("/api/v1/stages/", {"name": "New", "pipeline": other.pk}, format="json").status_code == 405
    assert not Stage.objects.filter(name="New").exists()


def test_support_agents_do_not_get_the_pipelines(api_client, agent):
    assert api_client(agent).get("/api/v1/pipelines/").status_code == 403


def test_a_deals_webhook_payload_is_what_the_api_returns(api_client, owner):
    deal = DealFactory(owner=owner)

    assert represent(deal) == api_client(owner).get(url(deal)).json()
    assert represent(deal.pipeline) == api_client(owner).get(f"/api/v1/pipelines/{deal.pipeline_id}/").json()


def test_a_pipeline_without_a_won_stage_is_refused_in_the_clients_language(api_client, owner):
    pipeline = PipelineFactory()
    StageFactory(pipeline=pipeline, name="Only", position=0)
    deal = DealFactory(owner=owner, pipeline=pipeline, stage=pipeline.stages.get())

    response = api_client(owner).post(url(deal, "win"), HTTP_ACCEPT_LANGUAGE="tr")

    assert response.status_code == 400
    assert response.json()["errors"][0] == {
        "code": "invalid",
        "detail": "Bu satış hattının kazanıldı aşaması yok.",
        "attr": "stage",
    }
    deal.refresh_from_db()
    assert deal.status == Deal.Status.OPEN
