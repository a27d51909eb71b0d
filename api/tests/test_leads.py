"""/api/v1/leads/: the lead pages' rules through a token, conversion through lead_convert."""

from decimal import Decimal

import pytest

from api.representations import represent
from customers.models import Customer, Interaction
from customers.tests.factories import CompanyFactory, CustomerFactory
from sales.models import AssignmentRule, Deal, Lead, LeadActivity
from sales.tests.factories import AssignmentRuleFactory, LeadActivityFactory, LeadFactory, default_pipeline

pytestmark = pytest.mark.django_db

LEADS = "/api/v1/leads/"


def url(lead, action: str = "") -> str:
    return f"{LEADS}{lead.pk}/{action + '/' if action else ''}"


def names(response) -> set[str]:
    return {row["last_name"] for row in response.json()["results"]}


@pytest.fixture
def lead(owner):
    return LeadFactory(
        owner=owner,
        first_name="Grace",
        last_name="Hopper",
        email="grace@navy-labs.example",
        company_name="Navy Labs",
        status=Lead.Status.QUALIFIED,
    )


# --- who sees what --------------------------------------------------------------------------
def test_a_rep_lists_only_their_own_leads_and_a_manager_the_teams(api_client, owner, teammate, outsider, manager):
    LeadFactory(owner=owner, last_name="Mine")
    LeadFactory(owner=teammate, last_name="Teammate")
    LeadFactory(owner=outsider, last_name="Outsider")

    assert names(api_client(owner).get(LEADS)) == {"Mine"}
    assert names(api_client(manager).get(LEADS)) == {"Mine", "Teammate"}


def test_an_outsider_gets_an_empty_list_and_404_on_every_lead_action(api_client, outsider, lead):
    client = api_client(outsider)

    assert client.get(LEADS).json()["results"] == []
    assert client.get(url(lead)).status_code == 404
    assert client.patch(url(lead), {"last_name": "Taken"}, format="json").status_code == 404
    assert client.post(url(lead, "status"), {"status": "contacted"}, format="json").status_code == 404
    assert client.post(url(lead, "convert"), {}, format="json").status_code == 404
    lead.refresh_from_db()
    assert (lead.last_name, lead.status) == ("Hopper", "qualified")


def test_support_agents_get_403_on_leads(api_client, agent, lead):
    client = api_client(agent)

    assert client.get(LEADS).status_code == 403
    assert client.get(url(lead)).status_code == 403
    assert client.post(LEADS, {"last_name": "X"}, format="json").status_code == 403
    assert Lead.objects.count() == 1


def test_a_read_only_token_cannot_create_or_convert(api_client, owner, lead):
    client = api_client(owner, scopes=("read",))

    assert client.post(LEADS, {"last_name": "Lovelace"}, format="json").status_code == 403
    assert client.post(url(lead, "convert"), {}, format="json").status_code == 403
    assert Lead.objects.count() == 1 and not Customer.objects.exists()


def test_the_list_takes_the_lead_pages_filters(api_client, owner, lead):
    LeadFactory(owner=owner, last_name="Babbage", status=Lead.Status.NEW, source="web")
    client = api_client(owner)

    assert names(client.get(LEADS, {"q": "navy"})) == {"Hopper"}
    assert names(client.get(LEADS, {"status": "new"})) == {"Babbage"}
    assert names(client.get(LEADS, {"source": "web"})) == {"Babbage"}


# --- create and update ----------------------------------------------------------------------
def test_a_rep_creates_a_lead_they_own_when_no_rule_matches(api_client, owner, team):
    response = api_client(owner).post(LEADS, {"last_name": "Lovelace", "source": "web"}, format="json")

    assert response.status_code == 201
    lead = Lead.objects.get(pk=response.json()["id"])
    assert (lead.owner, lead.team, lead.status) == (owner, team, "new")
    assert LeadActivity.objects.filter(lead=lead, action="lead.created").exists()


def test_the_rules_choose_the_owner_of_a_reps_lead(api_client, owner, outsider):
    AssignmentRuleFactory(source="partner", strategy=AssignmentRule.Strategy.USER, user=outsider)

    response = api_client(owner).post(LEADS, {"last_name": "Lovelace", "source": "partner"}, format="json")

    assert response.status_code == 201 and Lead.objects.get().owner == outsider


def test_a_manager_may_choose_the_owner_and_a_rep_may_not(api_client, manager, owner, teammate):
    api_client(owner).post(LEADS, {"last_name": "A", "owner": teammate.pk}, format="json")
    api_client(manager).post(LEADS, {"last_name": "B", "owner": teammate.pk}, format="json")

    assert Lead.objects.get(last_name="A").owner == owner
    assert Lead.objects.get(last_name="B").owner == teammate


def test_a_validation_error_names_the_field_and_creates_nothing(api_client, owner):
    response = api_client(owner).post(LEADS, {"last_name": "X", "email": "not-an-email"}, format="json")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert [error["attr"] for error in response.json()["errors"]] == ["email"]
    assert not Lead.objects.exists()


def test_editing_a_lead_is_on_its_timeline_and_a_stale_version_is_a_409(api_client, owner, lead):
    client = api_client(owner)

    saved = client.patch(url(lead), {"phone": "+49 30 1", "version": lead.version}, format="json")
    stale = client.patch(url(lead), {"phone": "+49 30 2", "version": lead.version}, format="json")

    assert saved.status_code == 200 and stale.status_code == 409
    lead.refresh_from_db()
    assert lead.phone == "+49 30 1"
    assert LeadActivity.objects.filter(lead=lead, action="lead.updated", data__fields=["phone"]).exists()


def test_there_is_no_deleting_a_lead(api_client, owner, lead):
    assert api_client(owner).delete(url(lead)).status_code == 405
    assert Lead.objects.filter(pk=lead.pk).exists()


# --- status ---------------------------------------------------------------------------------
def test_unqualifying_needs_a_reason(api_client, owner, lead):
    client = api_client(owner)

    refused = client.post(url(lead, "status"), {"status": "unqualified"}, format="json")
    lead.refresh_from_db()
    assert refused.status_code == 400 and refused.json()["errors"][0]["attr"] == "reason"
    assert lead.status == "qualified"

    done = client.post(url(lead, "status"), {"status": "unqualified", "reason": "No budget"}, format="json")
    lead.refresh_from_db()
    assert done.json()["status"] == "unqualified" and lead.unqualified_reason == "No budget"
    assert LeadActivity.objects.filter(lead=lead, action="lead.status_changed").exists()


# --- conversion -----------------------------------------------------------------------------
def test_converting_with_a_company_and_a_deal(api_client, owner, lead):
    navy = CompanyFactory(owner=owner, name="US Navy")
    LeadActivityFactory(lead=lead, kind="call", summary="Intro call")

    response = api_client(owner).post(
        url(lead, "convert"),
        {"company": navy.pk, "create_deal": True, "pipeline": default_pipeline().pk, "deal_amount": "1500.00"},
        format="json",
    )

    assert response.status_code == 200
    customer, deal = Customer.objects.get(), Deal.objects.get()
    assert response.json()["customer"] == customer.pk and response.json()["deal"] == deal.pk
    assert (customer.company, deal.amount, deal.title) == (navy, Decimal("1500.00"), "Navy Labs deal")
    assert Interaction.objects.filter(customer=customer, kind="call", summary="Intro call").exists()
    assert Interaction.objects.filter(customer=customer, action="lead.converted").exists()
    lead.refresh_from_db()
    assert (lead.status, lead.customer, lead.deal) == ("converted", customer, deal)


def test_converting_into_an_existing_customer_with_a_new_company(api_client, owner, lead):
    existing = CustomerFactory(owner=owner)

    api_client(owner).post(url(lead, "convert"), {"customer": existing.pk, "company": "new"}, format="json")

    lead.refresh_from_db()
    assert lead.customer == existing and Customer.objects.count() == 1


def test_a_customer_or_company_out_of_scope_cannot_be_forced(api_client, owner, outsider, lead):
    foreign = CustomerFactory(owner=outsider)
    foreign_company = CompanyFactory(owner=outsider)
    client = api_client(owner)

    by_customer = client.post(url(lead, "convert"), {"customer": foreign.pk}, format="json")
    by_company = client.post(url(lead, "convert"), {"company": foreign_company.pk}, format="json")

    assert by_customer.status_code == 400 and by_customer.json()["errors"][0]["attr"] == "customer"
    assert by_company.status_code == 400 and by_company.json()["errors"][0]["attr"] == "company"
    lead.refresh_from_db()
    assert lead.status == "qualified" and Customer.objects.count() == 1


def test_a_deal_needs_a_pipeline_and_a_converted_lead_cannot_be_converted_again(api_client, owner, lead):
    client = api_client(owner)

    no_pipeline = client.post(url(lead, "convert"), {"create_deal": True, "pipeline": None}, format="json")
    assert no_pipeline.status_code == 400 and no_pipeline.json()["errors"][0]["attr"] == "pipeline"
    assert not Customer.objects.exists()

    assert client.post(url(lead, "convert"), {}, format="json").status_code == 200
    again = client.post(url(lead, "convert"), {}, format="json")
    assert again.status_code == 400 and Customer.objects.count() == 1


def test_a_leads_webhook_payload_is_what_the_api_returns(api_client, owner, lead):
    assert represent(lead) == api_client(owner).get(url(lead)).json()


def test_a_support_agent_is_told_why_leads_are_refused(api_client, agent):
    response = api_client(agent).get(LEADS)

    assert response.json()["detail"] == "Leads are for sales reps, managers and admins."
