import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import close_old_connections, connection
from django.utils import timezone

from accounts import roles
from accounts.tests.factories import TeamFactory, UserFactory
from customers.models import Company, Customer, Interaction
from customers.tests.factories import CompanyFactory, CustomerFactory
from sales.models import AssignmentRule, Deal, Lead, LeadActivity
from sales.selectors.leads import lead_company_matches, lead_customer_matches
from sales.services.leads import (
    assignment_rule_create,
    lead_assign,
    lead_convert,
    lead_create,
    lead_log_activity,
    lead_set_status,
    lead_update,
    leads_assign_by_rules,
    leads_reassign,
)
from sales.tests.factories import AssignmentRuleFactory, LeadActivityFactory, LeadFactory, PipelineFactory, StageFactory


@pytest.fixture
def reps(team, owner, teammate):
    """Three reps in team North, by pk: owner, teammate, a third."""
    third = UserFactory(username="theo", role=roles.SALES_REP)
    team.members.add(third)
    return [owner, teammate, third]


def new_lead(actor, **fields):
    fields.setdefault("last_name", "Lovelace")
    return lead_create(actor=actor, **fields)


# --- assignment -----------------------------------------------------------------------------
def test_round_robin_hands_leads_to_team_members_in_turn_and_wraps_around(reps, team, manager):
    AssignmentRuleFactory(team=team)
    owners = [new_lead(manager).owner for _ in range(4)]
    assert owners == [reps[0], reps[1], reps[2], reps[0]]
    assert AssignmentRule.objects.get().last_assigned == reps[0]


def test_round_robin_skips_inactive_users_and_members_who_are_not_sellers(reps, team, manager, agent):
    team.members.add(agent)
    reps[1].is_active = False
    reps[1].save()
    AssignmentRuleFactory(team=team)
    assert [new_lead(manager).owner for _ in range(3)] == [reps[0], reps[2], reps[0]]


def test_round_robin_continues_after_the_previous_member_even_when_that_member_left(reps, team, manager):
    AssignmentRuleFactory(team=team, last_assigned=reps[1])
    team.members.remove(reps[1])
    assert new_lead(manager).owner == reps[2]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs row locks between connections; SQLite's test database is a shared in-memory one "
    "(its file databases take the write lock at BEGIN IMMEDIATE, so transactions never interleave)",
)
def test_leads_created_at_the_same_moment_never_go_to_the_same_person_twice_in_a_row():
    team = TeamFactory(name="North")
    members = [UserFactory(role=roles.SALES_REP) for _ in range(3)]
    team.members.set(members)
    AssignmentRuleFactory(team=team)
    start = threading.Barrier(6)
    errors = []

    def create(index):
        try:
            start.wait()
            lead_create(actor=None, last_name=f"Lead {index}")
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=create, args=(index,)) for index in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    owners = list(Lead.objects.order_by("pk").values_list("owner_id", flat=True))
    assert sorted(owners) == sorted([member.pk for member in members] * 2)


def test_a_source_rule_sends_partner_leads_to_one_user(reps, team, manager, outsider):
    AssignmentRuleFactory(source="partner", strategy=AssignmentRule.Strategy.USER, user=outsider, position=0)
    AssignmentRuleFactory(team=team, position=1)
    assert new_lead(manager, source="partner").owner == outsider
    assert new_lead(manager, source="web").owner == reps[0]


def test_the_first_matching_rule_by_position_decides_and_inactive_rules_are_ignored(reps, team, manager, outsider):
    AssignmentRuleFactory(strategy=AssignmentRule.Strategy.USER, user=reps[2], position=0, is_active=False)
    AssignmentRuleFactory(strategy=AssignmentRule.Strategy.USER, user=outsider, position=2)
    AssignmentRuleFactory(source="web", strategy=AssignmentRule.Strategy.USER, user=reps[1], position=1)
    assert new_lead(manager, source="web").owner == reps[1]
    assert new_lead(manager, source="event").owner == outsider


def test_a_rule_that_names_nobody_passes_the_lead_to_the_next_rule(reps, team, manager, outsider):
    outsider.is_active = False
    outsider.save()
    AssignmentRuleFactory(strategy=AssignmentRule.Strategy.USER, user=outsider, position=0)
    AssignmentRuleFactory(team=TeamFactory(name="Empty"), position=1)
    AssignmentRuleFactory(strategy=AssignmentRule.Strategy.USER, user=reps[2], position=2)
    assert new_lead(manager).owner == reps[2]


def test_without_a_matching_rule_the_creator_owns_the_lead_and_the_team_follows(owner, team, outsider):
    AssignmentRuleFactory(source="partner", strategy=AssignmentRule.Strategy.USER, user=outsider)
    lead = new_lead(owner, source="web")
    assert (lead.owner, lead.team) == (owner, team)
    entry = lead.activities.get(action="lead.assigned")
    assert entry.data == {"from": None, "to": owner.pk, "to_name": str(owner), "rule": None, "rule_name": None}


def test_a_chosen_owner_bypasses_the_rules(reps, team, manager, outsider, other_team):
    rule = AssignmentRuleFactory(team=team)
    lead = new_lead(manager, owner=outsider)
    assert (lead.owner, lead.team) == (outsider, other_team)
    rule.refresh_from_db()
    assert rule.last_assigned is None


def test_assignment_by_rules_records_who_got_the_lead(reps, team, manager):
    rule = AssignmentRuleFactory(team=team)
    lead = new_lead(manager)
    entry = lead.activities.get(action="lead.assigned")
    assert entry.data.items() >= {"from": None, "to": reps[0].pk, "to_name": str(reps[0]), "rule": rule.pk}.items()
    assert entry.user == manager
    assert str(reps[0]) in entry.summary


def test_a_lead_without_rules_or_creator_stays_unassigned_in_its_team(team):
    lead = lead_create(actor=None, last_name="Capture", team=team)
    assert (lead.owner, lead.team) == (None, team)


def test_bulk_assignment_by_rules_only_touches_unassigned_leads(reps, team, manager, outsider):
    AssignmentRuleFactory(team=team)
    unassigned = LeadFactory.create_batch(2, owner=None, team=team)
    taken = LeadFactory(owner=outsider)
    count = leads_assign_by_rules(leads=Lead.objects.all(), actor=manager)
    assert count == 2
    assert {lead.owner for lead in Lead.objects.filter(pk__in=[lead.pk for lead in unassigned])} == {reps[0], reps[1]}
    taken.refresh_from_db()
    assert taken.owner == outsider


def test_bulk_reassign_moves_leads_with_their_team_and_an_audit_entry_each(owner, teammate, outsider, other_team):
    leads = LeadFactory.create_batch(3, owner=owner)
    count = leads_reassign(leads=Lead.objects.filter(pk__in=[lead.pk for lead in leads]), owner=outsider, actor=owner)
    assert count == 3
    assert set(Lead.objects.values_list("owner", "team")) == {(outsider.pk, other_team.pk)}
    assert LeadActivity.objects.filter(action="lead.reassigned", data__to=outsider.pk).count() == 3


def test_round_robin_rules_need_a_team_and_user_rules_a_user(manager, outsider):
    with pytest.raises(ValidationError):
        assignment_rule_create(actor=manager, strategy=AssignmentRule.Strategy.ROUND_ROBIN)
    with pytest.raises(ValidationError):
        assignment_rule_create(actor=manager, strategy=AssignmentRule.Strategy.USER)
    rule = assignment_rule_create(actor=manager, strategy=AssignmentRule.Strategy.USER, user=outsider, source="web")
    assert (rule.user, rule.team) == (outsider, None)


def test_lead_assign_on_an_existing_lead_uses_the_rules(reps, team, manager):
    lead = LeadFactory(owner=None)
    AssignmentRuleFactory(team=team)
    assert lead_assign(lead=lead, actor=manager).owner == reps[0]


# --- status, edits, timeline ------------------------------------------------------------------
def test_marking_a_lead_unqualified_needs_a_reason(owner):
    lead = LeadFactory(owner=owner)
    with pytest.raises(ValidationError):
        lead_set_status(lead=lead, status=Lead.Status.UNQUALIFIED, reason="  ", actor=owner)
    lead_set_status(lead=lead, status=Lead.Status.UNQUALIFIED, reason="No budget", actor=owner)
    lead.refresh_from_db()
    assert (lead.status, lead.unqualified_reason) == ("unqualified", "No budget")
    entry = lead.activities.get(action="lead.status_changed")
    assert entry.data == {"from": "new", "to": "unqualified", "reason": "No budget"}


def test_qualifying_again_clears_the_unqualified_reason(owner):
    lead = LeadFactory(owner=owner, status=Lead.Status.UNQUALIFIED, unqualified_reason="No budget")
    lead_set_status(lead=lead, status=Lead.Status.QUALIFIED, actor=owner)
    lead.refresh_from_db()
    assert (lead.status, lead.unqualified_reason) == ("qualified", "")


def test_status_cannot_be_set_to_converted_or_changed_after_conversion(owner):
    lead = LeadFactory(owner=owner)
    with pytest.raises(ValidationError):
        lead_set_status(lead=lead, status=Lead.Status.CONVERTED, actor=owner)
    converted = LeadFactory(owner=owner, status=Lead.Status.CONVERTED)
    with pytest.raises(ValidationError):
        lead_set_status(lead=converted, status=Lead.Status.NEW, actor=owner)


def test_editing_a_lead_records_the_changed_fields_and_an_owner_change(owner, manager, outsider, other_team):
    lead = LeadFactory(owner=owner, phone="")
    lead_update(lead=lead, actor=manager, phone="+49 30 1234567", owner=outsider, last_name=lead.last_name)
    lead.refresh_from_db()
    assert (lead.phone, lead.owner, lead.team) == ("+49 30 1234567", outsider, other_team)
    assert lead.activities.get(action="lead.updated").data == {"fields": ["phone"]}
    assert lead.activities.get(action="lead.reassigned").data == {
        "from": owner.pk,
        "from_name": str(owner),
        "to": outsider.pk,
        "to_name": str(outsider),
    }


def test_logging_a_call_adds_it_to_the_lead_timeline(owner):
    lead = LeadFactory(owner=owner)
    entry = lead_log_activity(lead=lead, kind="call", summary="Intro call", body="Wants a demo", actor=owner)
    assert (entry.lead, entry.kind, entry.user, entry.action) == (lead, "call", owner, "")
    with pytest.raises(ValidationError):
        lead_log_activity(lead=lead, kind="system", summary="Forged", actor=owner)


# --- conversion -----------------------------------------------------------------------------
@pytest.fixture
def lead(owner):
    return LeadFactory(
        owner=owner,
        first_name="Grace",
        last_name="Hopper",
        email="grace@navy-labs.example",
        phone="+1 555 0100",
        company_name="Navy Labs",
        source="event",
        status=Lead.Status.QUALIFIED,
        notes="Met at the fair",
    )


def test_converting_creates_a_customer_from_the_lead_and_links_it(lead, owner):
    customer, deal = lead_convert(lead=lead, actor=owner)
    assert deal is None
    assert (customer.full_name, customer.email, customer.phone, customer.source, customer.owner) == (
        "Grace Hopper",
        "grace@navy-labs.example",
        "+1 555 0100",
        "event",
        owner,
    )
    assert customer.company is None and customer.lifecycle_stage == Customer.Stage.QUALIFIED
    lead.refresh_from_db()
    assert (lead.status, lead.customer, lead.deal) == ("converted", customer, None)
    assert lead.converted_at is not None
    assert Interaction.objects.filter(customer=customer, action="lead.converted", data__lead=lead.pk).exists()
    assert lead.activities.filter(action="lead.converted").exists()


def test_a_company_with_the_lead_email_domain_is_matched_and_reused(lead, owner):
    navy = CompanyFactory(owner=owner, name="US Navy Research", domain="NAVY-LABS.example")
    CompanyFactory(owner=owner, domain="other.example")
    assert lead_company_matches(lead=lead, user=owner) == [navy]
    customer, _deal = lead_convert(lead=lead, actor=owner, company=navy)
    assert customer.company == navy
    assert Company.objects.count() == 2


def test_a_company_with_the_lead_company_name_is_matched_ignoring_case(lead, owner):
    lead.email = "grace@gmail.com"
    labs = CompanyFactory(owner=owner, name="NAVY LABS", domain="")
    assert lead_company_matches(lead=lead, user=owner) == [labs]


def test_a_free_mail_domain_never_matches_a_company(lead, owner):
    lead.email, lead.company_name = "grace@gmail.com", ""
    CompanyFactory(owner=owner, name="Google Mail", domain="gmail.com")
    assert lead_company_matches(lead=lead, user=owner) == []


def test_company_matches_only_include_companies_the_user_can_see(lead, owner, outsider):
    CompanyFactory(owner=outsider, name="Navy Labs")
    assert lead_company_matches(lead=lead, user=owner) == []


def test_a_new_company_is_created_with_the_lead_company_name_and_domain(lead, owner, team):
    customer, _deal = lead_convert(lead=lead, actor=owner, company="new")
    company = customer.company
    assert (company.name, company.domain, company.owner, company.team) == (
        "Navy Labs",
        "navy-labs.example",
        owner,
        team,
    )


def test_an_existing_customer_can_be_used_instead_of_a_new_one(lead, owner):
    existing = CustomerFactory(owner=owner, email="GRACE@navy-labs.example")
    assert lead_customer_matches(lead=lead, user=owner) == [existing]
    customer, _deal = lead_convert(lead=lead, actor=owner, existing_customer=existing)
    assert customer == existing
    assert Customer.objects.count() == 1
    lead.refresh_from_db()
    assert lead.customer == existing


def test_customer_matches_only_include_customers_the_user_can_see(lead, owner, outsider):
    CustomerFactory(owner=outsider, email="grace@navy-labs.example")
    assert lead_customer_matches(lead=lead, user=owner) == []


def test_converting_with_a_deal_opens_it_in_the_chosen_pipeline(lead, owner):
    pipeline = PipelineFactory(name="Renewals")
    first = StageFactory(pipeline=pipeline, name="Talk", position=0)
    StageFactory(pipeline=pipeline, name="Sign", position=1)
    customer, deal = lead_convert(
        lead=lead,
        actor=owner,
        company="new",
        create_deal=True,
        pipeline=pipeline,
        deal_amount=Decimal("2500.50"),
        expected_close_date=timezone.localdate(),
    )
    assert (deal.pipeline, deal.stage, deal.customer, deal.company, deal.owner) == (
        pipeline,
        first,
        customer,
        customer.company,
        owner,
    )
    assert (deal.title, deal.amount) == ("Navy Labs deal", Decimal("2500.50"))
    assert customer.lifecycle_stage == Customer.Stage.OPPORTUNITY
    lead.refresh_from_db()
    assert lead.deal == deal
    assert Deal.objects.count() == 1


def test_the_lead_history_is_copied_to_the_customer_timeline(lead, owner, teammate):
    call = LeadActivityFactory(lead=lead, kind="call", summary="Intro call", body="Wants a demo", user=teammate)
    lead_set_status(lead=lead, status=Lead.Status.CONTACTED, actor=owner)
    customer, _deal = lead_convert(lead=lead, actor=owner)
    copied = Interaction.objects.get(customer=customer, kind="call")
    assert (copied.summary, copied.body, copied.user, copied.occurred_at) == (
        "Intro call",
        "Wants a demo",
        teammate,
        call.occurred_at,
    )
    assert copied.data == {"lead": lead.pk}
    status_entry = Interaction.objects.get(customer=customer, action="lead.status_changed")
    assert status_entry.kind == "system" and status_entry.data["lead"] == lead.pk


def test_converting_twice_is_refused(lead, owner):
    lead_convert(lead=lead, actor=owner)
    with pytest.raises(ValidationError, match="already converted"):
        lead_convert(lead=lead, actor=owner)
    assert Customer.objects.count() == 1


def test_an_unqualified_lead_cannot_be_converted(lead, owner):
    lead_set_status(lead=lead, status=Lead.Status.UNQUALIFIED, reason="Student", actor=owner)
    with pytest.raises(ValidationError, match="unqualified"):
        lead_convert(lead=lead, actor=owner)
    assert not Customer.objects.exists()


def test_a_new_or_contacted_lead_can_be_converted_too(owner):
    lead = LeadFactory(owner=owner, status=Lead.Status.CONTACTED)
    customer, _deal = lead_convert(lead=lead, actor=owner)
    assert customer.last_name == lead.last_name


def test_a_failed_conversion_leaves_nothing_behind(lead, owner, monkeypatch):
    def failing_deal_create(**kwargs):
        raise ValidationError("The deal could not be opened.")

    monkeypatch.setattr("sales.services.leads.deal_create", failing_deal_create)
    with pytest.raises(ValidationError):
        lead_convert(lead=lead, actor=owner, company="new", create_deal=True)
    lead.refresh_from_db()
    assert lead.status == Lead.Status.QUALIFIED
    assert not Customer.objects.exists() and not Company.objects.exists()
