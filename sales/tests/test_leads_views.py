from decimal import Decimal

import pytest
from django.urls import reverse

from customers.models import Customer, Interaction
from customers.tests.factories import CompanyFactory, CustomerFactory
from sales.models import AssignmentRule, Deal, Lead, LeadActivity
from sales.tests.factories import AssignmentRuleFactory, LeadActivityFactory, LeadFactory, default_pipeline

LIST_URL = reverse("sales:lead-list")


def detail_url(lead):
    return reverse("sales:lead-detail", args=[lead.pk])


def convert_url(lead):
    return reverse("sales:lead-convert", args=[lead.pk])


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


# --- the list -------------------------------------------------------------------------------
def test_a_rep_lists_only_their_own_leads(client_for, owner, teammate, lead):
    LeadFactory(owner=teammate, last_name="Teammate-lead")
    response = client_for(owner).get(LIST_URL)
    assert [row.record for row in response.context["table"].page.object_list] == [lead]


def test_a_manager_lists_the_team_leads_but_not_other_teams(client_for, manager, owner, teammate, outsider):
    mine, theirs = LeadFactory(owner=owner), LeadFactory(owner=teammate)
    LeadFactory(owner=outsider)
    response = client_for(manager).get(LIST_URL)
    assert {row.record for row in response.context["table"].page.object_list} == {mine, theirs}


def test_the_outsider_does_not_see_the_team_leads(client_for, outsider, lead):
    response = client_for(outsider).get(LIST_URL)
    assert list(response.context["table"].page.object_list) == []
    assert "Hopper" not in response.content.decode()


def test_support_agents_get_403_on_every_lead_page(client_for, agent, lead):
    client = client_for(agent)
    for url in [LIST_URL, reverse("sales:lead-create"), detail_url(lead), convert_url(lead)]:
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("sales:lead-bulk"), {"action": "assign_rules", "ids": [lead.pk]}).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client, lead):
    assert client.get(LIST_URL).status_code == 302
    assert client.get(detail_url(lead)).status_code == 302


def test_the_list_searches_name_email_and_company_with_every_word(client_for, owner, lead):
    LeadFactory(owner=owner, first_name="Grace", last_name="Kelly", company_name="Monaco", email="g@monaco.example")
    client = client_for(owner)
    found = client.get(LIST_URL, {"q": "grace navy"}).context["table"].page.object_list
    assert [row.record for row in found] == [lead]
    found = client.get(LIST_URL, {"q": "monaco.example"}).context["table"].page.object_list
    assert [row.record.last_name for row in found] == ["Kelly"]


def test_the_list_filters_by_status_source_and_owner(client_for, manager, owner, teammate, lead):
    LeadFactory(owner=teammate, status=Lead.Status.NEW, source="web")
    client = client_for(manager)
    by_status = client.get(LIST_URL, {"status": "qualified"}).context["table"].page.object_list
    assert [row.record for row in by_status] == [lead]
    by_source = client.get(LIST_URL, {"source": "web"}).context["table"].page.object_list
    assert [row.record.owner for row in by_source] == [teammate]
    by_owner = client.get(LIST_URL, {"owner": owner.pk}).context["table"].page.object_list
    assert [row.record for row in by_owner] == [lead]


def test_the_list_is_sortable_and_refreshes_by_htmx(client_for, owner):
    LeadFactory(owner=owner, last_name="Zeta")
    LeadFactory(owner=owner, last_name="Alpha")
    response = client_for(owner).get(LIST_URL, {"sort": "name"}, headers={"HX-Request": "true"})
    assert [row.record.last_name for row in response.context["table"].page.object_list] == ["Alpha", "Zeta"]
    assert "<html" not in response.content.decode()


def test_the_list_query_count_does_not_depend_on_the_number_of_leads(
    client_for, manager, owner, teammate, django_assert_num_queries, list_count_queries
):
    client = client_for(manager)
    LeadFactory.create_batch(3, owner=owner)
    client.get(LIST_URL)  # warm the session
    # Each measured request asks a query string not asked before: the list is drawn, not taken
    # from the cache (a write would also re-run its checked statements on PostgreSQL).
    # session, user, roles and team ids (the scope names them as values), the total (list_count_queries),
    # the page with owner and team joined;
    # (the filter form's and the bulk form's menus, the saved views and the teams to share with
    # come from the cache: crm_project/fragments.py)
    with django_assert_num_queries(4 + list_count_queries):
        client.get(LIST_URL, {"page": 1})
    LeadFactory.create_batch(30, owner=teammate)
    with django_assert_num_queries(4 + list_count_queries):
        response = client.get(LIST_URL, {"page": 1, "per_page": 25})
    assert len(response.context["table"].page.object_list) == 25


# --- bulk actions ---------------------------------------------------------------------------
def test_a_manager_reassigns_selected_leads(client_for, manager, owner, teammate):
    leads = LeadFactory.create_batch(2, owner=owner)
    response = client_for(manager).post(
        reverse("sales:lead-bulk"), {"action": "reassign", "owner": teammate.pk, "ids": [lead.pk for lead in leads]}
    )
    assert response.status_code == 302
    assert set(Lead.objects.values_list("owner", flat=True)) == {teammate.pk}


def test_a_manager_cannot_reassign_leads_outside_the_team(client_for, manager, outsider, teammate):
    theirs = LeadFactory(owner=outsider)
    client_for(manager).post(
        reverse("sales:lead-bulk"), {"action": "reassign", "owner": teammate.pk, "ids": [theirs.pk]}
    )
    theirs.refresh_from_db()
    assert theirs.owner == outsider


def test_a_rep_cannot_reassign_in_bulk(client_for, owner, teammate, lead):
    # A rep (own scope) has no bulk action at all: the server refuses the form outright.
    response = client_for(owner).post(
        reverse("sales:lead-bulk"), {"action": "reassign", "owner": teammate.pk, "ids": [lead.pk]}
    )
    assert response.status_code == 403
    lead.refresh_from_db()
    assert lead.owner == owner


def test_a_rep_whose_scope_is_the_team_may_apply_the_rules_but_not_reassign(
    client_for, owner, teammate, team, settings
):
    settings.CRM_SCOPE_SALES_REP = "team"
    AssignmentRuleFactory(team=team)
    unassigned = LeadFactory(owner=None, team=team)
    client = client_for(owner)
    refused = client.post(
        reverse("sales:lead-bulk"), {"action": "reassign", "owner": teammate.pk, "ids": [unassigned.pk]}, follow=True
    )
    assert "not one of the available choices" in refused.content.decode()
    unassigned.refresh_from_db()
    assert unassigned.owner is None
    client.post(reverse("sales:lead-bulk"), {"action": "assign_rules", "ids": [unassigned.pk]})
    unassigned.refresh_from_db()
    assert unassigned.owner in (owner, teammate)


def test_assign_by_rules_gives_unassigned_team_leads_an_owner(client_for, manager, team, owner, teammate):
    AssignmentRuleFactory(team=team)
    unassigned = LeadFactory(owner=None, team=team)
    response = client_for(manager).post(
        reverse("sales:lead-bulk"), {"action": "assign_rules", "ids": [unassigned.pk]}, follow=True
    )
    unassigned.refresh_from_db()
    assert unassigned.owner == owner
    assert "1 unassigned leads got an owner." in response.content.decode()


def test_bulk_actions_need_a_selection(client_for, manager):
    response = client_for(manager).post(reverse("sales:lead-bulk"), {"action": "assign_rules"}, follow=True)
    assert "Select at least one lead." in response.content.decode()


# --- create and edit ------------------------------------------------------------------------
def test_a_rep_creates_a_lead_they_own_when_no_rule_matches(client_for, owner, team):
    response = client_for(owner).post(
        reverse("sales:lead-create"), {"last_name": "Lovelace", "email": "ada@example.com", "source": "web"}
    )
    lead = Lead.objects.get()
    assert response.url == detail_url(lead)
    assert (lead.owner, lead.team, lead.status) == (owner, team, "new")


def test_a_lead_the_rules_give_to_someone_else_sends_the_rep_back_to_the_list(client_for, owner, outsider):
    AssignmentRuleFactory(source="partner", strategy=AssignmentRule.Strategy.USER, user=outsider)
    response = client_for(owner).post(
        reverse("sales:lead-create"), {"last_name": "Lovelace", "source": "partner"}, follow=True
    )
    assert Lead.objects.get().owner == outsider
    assert response.redirect_chain[-1][0] == LIST_URL
    assert "assigned to Oscar" in response.content.decode()


def test_a_manager_may_choose_the_owner_and_a_rep_may_not(client_for, manager, owner, teammate):
    assert "owner" not in client_for(owner).get(reverse("sales:lead-create")).context["form"].fields
    client_for(manager).post(
        reverse("sales:lead-create"), {"last_name": "Lovelace", "source": "web", "owner": teammate.pk}
    )
    assert Lead.objects.get().owner == teammate


def test_the_create_form_shows_errors(client_for, owner):
    response = client_for(owner).post(reverse("sales:lead-create"), {"last_name": "", "email": "nope", "source": "web"})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"last_name", "email"}
    assert not Lead.objects.exists()


def test_a_rep_edits_their_lead_and_the_change_is_on_the_timeline(client_for, owner, lead):
    client_for(owner).post(
        reverse("sales:lead-edit", args=[lead.pk]),
        {"first_name": "Grace", "last_name": "Hopper", "email": lead.email, "phone": "+1 555", "source": "event"},
    )
    lead.refresh_from_db()
    assert (lead.phone, lead.source, lead.company_name) == ("+1 555", "event", "")
    assert lead.activities.filter(action="lead.updated").exists()


def test_a_teammate_gets_404_for_someone_elses_lead(client_for, teammate, outsider, lead):
    for user in (teammate, outsider):
        client = client_for(user)
        assert client.get(detail_url(lead)).status_code == 404
        assert client.get(reverse("sales:lead-edit", args=[lead.pk])).status_code == 404
        assert client.post(reverse("sales:lead-status", args=[lead.pk]), {"status": "new"}).status_code == 404
        assert client.get(convert_url(lead)).status_code == 404
    lead.refresh_from_db()
    assert lead.status == "qualified"


# --- detail, status, timeline ---------------------------------------------------------------
def test_the_detail_shows_the_lead_its_timeline_and_a_convert_button(client_for, owner, lead):
    LeadActivityFactory(lead=lead, kind="call", summary="Intro call")
    content = client_for(owner).get(detail_url(lead)).content.decode()
    assert "Grace Hopper" in content and "Call: Intro call" in content
    assert convert_url(lead) in content


def test_a_manager_sees_and_works_on_a_team_lead(client_for, manager, lead):
    client = client_for(manager)
    assert client.get(detail_url(lead)).status_code == 200
    client.post(reverse("sales:lead-status", args=[lead.pk]), {"status": "contacted"})
    lead.refresh_from_db()
    assert lead.status == "contacted"


def test_the_detail_query_count_is_fixed(client_for, owner, lead, django_assert_num_queries):
    client = client_for(owner)
    LeadActivityFactory.create_batch(3, lead=lead, user=owner)
    client.get(detail_url(lead))
    # session, user, roles, the lead (owner, team, customer joined), timeline count and page (users joined)
    with django_assert_num_queries(6):
        client.get(detail_url(lead))
    LeadActivityFactory.create_batch(30, lead=lead, user=owner)
    with django_assert_num_queries(6):
        response = client.get(detail_url(lead))
    assert len(response.context["timeline_page"].object_list) == 20


def test_older_timeline_entries_load_on_request(client_for, owner, lead):
    LeadActivityFactory.create_batch(25, lead=lead)
    response = client_for(owner).get(reverse("sales:lead-timeline", args=[lead.pk]), {"page": 2})
    assert response.content.decode().count("<li") == 5


def test_unqualifying_without_a_reason_is_refused_with_a_message(client_for, owner, lead):
    response = client_for(owner).post(
        reverse("sales:lead-status", args=[lead.pk]), {"status": "unqualified", "reason": ""}, follow=True
    )
    lead.refresh_from_db()
    assert lead.status == "qualified"
    assert "Say why the lead is unqualified." in response.content.decode()


def test_unqualifying_with_a_reason_hides_the_convert_button(client_for, owner, lead):
    client = client_for(owner)
    client.post(reverse("sales:lead-status", args=[lead.pk]), {"status": "unqualified", "reason": "No budget"})
    content = client.get(detail_url(lead)).content.decode()
    assert "Unqualified: No budget" in content
    assert convert_url(lead) not in content


def test_logging_a_call_by_htmx_returns_the_entry_and_a_fresh_form(client_for, owner, lead):
    response = client_for(owner).post(
        reverse("sales:lead-activity-create", args=[lead.pk]),
        {"kind": "call", "summary": "Asked for pricing"},
        headers={"HX-Request": "true"},
    )
    content = response.content.decode()
    assert "Call: Asked for pricing" in content and 'hx-swap-oob="afterbegin:#lead-timeline-entries"' in content
    assert LeadActivity.objects.get(lead=lead, kind="call").user == owner


def test_an_invalid_log_entry_returns_the_form_with_errors(client_for, owner, lead):
    response = client_for(owner).post(
        reverse("sales:lead-activity-create", args=[lead.pk]), {"kind": "call"}, headers={"HX-Request": "true"}
    )
    assert response.context["form"].errors["summary"]
    assert not LeadActivity.objects.exists()


# --- conversion -----------------------------------------------------------------------------
def test_the_convert_screen_shows_the_matched_company_and_an_existing_customer(client_for, owner, lead):
    navy = CompanyFactory(owner=owner, name="US Navy", domain="navy-labs.example")
    same_person = CustomerFactory(owner=owner, email="grace@navy-labs.example")
    response = client_for(owner).get(convert_url(lead))
    content = response.content.decode()
    assert response.context["companies"] == [navy]
    assert response.context["customers"] == [same_person]
    assert "Use US Navy" in content and "Create a new company “Navy Labs”" in content
    assert same_person.get_absolute_url() in content
    assert response.context["form"]["company_choice"].initial == str(navy.pk)


def test_converting_with_the_matched_company_and_a_deal(client_for, owner, lead):
    navy = CompanyFactory(owner=owner, name="US Navy", domain="navy-labs.example")
    LeadActivityFactory(lead=lead, kind="call", summary="Intro call")
    response = client_for(owner).post(
        convert_url(lead),
        {
            "customer_choice": "new",
            "company_choice": navy.pk,
            "create_deal": "on",
            "pipeline": default_pipeline().pk,
            "deal_title": "",
            "deal_amount": "1500.00",
        },
    )
    customer = Customer.objects.get()
    assert response.url == customer.get_absolute_url()
    deal = Deal.objects.get()
    assert (customer.company, deal.company, deal.amount, deal.title) == (
        navy,
        navy,
        Decimal("1500.00"),
        "Navy Labs deal",
    )
    assert Interaction.objects.filter(customer=customer, kind="call", summary="Intro call").exists()
    lead.refresh_from_db()
    assert (lead.status, lead.customer, lead.deal) == ("converted", customer, deal)


def test_converting_into_the_existing_customer(client_for, owner, lead):
    existing = CustomerFactory(owner=owner, email="grace@navy-labs.example")
    client_for(owner).post(convert_url(lead), {"customer_choice": existing.pk, "company_choice": "none"})
    assert Customer.objects.get() == existing
    lead.refresh_from_db()
    assert lead.customer == existing


def test_a_customer_or_company_outside_the_matches_cannot_be_forced(client_for, owner, outsider, lead):
    foreign = CustomerFactory(owner=outsider, email="grace@navy-labs.example")
    response = client_for(owner).post(convert_url(lead), {"customer_choice": foreign.pk, "company_choice": "none"})
    assert response.status_code == 200
    assert "customer_choice" in response.context["form"].errors
    lead.refresh_from_db()
    assert lead.status == "qualified"


def test_the_converted_lead_links_to_what_it_became_and_cannot_be_converted_again(client_for, owner, lead):
    client = client_for(owner)
    client.post(convert_url(lead), {"customer_choice": "new", "company_choice": "new"})
    customer = Customer.objects.get()
    content = client.get(detail_url(lead)).content.decode()
    assert customer.get_absolute_url() in content
    assert convert_url(lead) not in content
    response = client.get(convert_url(lead), follow=True)
    assert "This lead was already converted." in response.content.decode()
    response = client.post(convert_url(lead), {"customer_choice": "new", "company_choice": "new"}, follow=True)
    assert Customer.objects.count() == 1
    assert "This lead was already converted." in response.content.decode()


def test_an_unqualified_lead_cannot_be_converted_from_the_screen(client_for, owner, lead):
    lead.status, lead.unqualified_reason = Lead.Status.UNQUALIFIED, "Student"
    lead.save()
    response = client_for(owner).post(convert_url(lead), {"customer_choice": "new", "company_choice": "none"})
    assert response.status_code == 302
    assert not Customer.objects.exists()


# --- assignment rules -----------------------------------------------------------------------
def test_reps_and_agents_get_403_on_the_assignment_rules(client_for, owner, agent, team):
    rule = AssignmentRuleFactory(team=team)
    urls = [
        reverse("sales:assignment-rule-list"),
        reverse("sales:assignment-rule-create"),
        reverse("sales:assignment-rule-edit", args=[rule.pk]),
        reverse("sales:assignment-rule-delete", args=[rule.pk]),
    ]
    for user in (owner, agent):
        client = client_for(user)
        for url in urls:
            assert client.get(url).status_code == 403, url
        assert client.post(urls[3]).status_code == 403
    assert AssignmentRule.objects.exists()


def test_a_manager_creates_edits_and_deletes_a_rule(client_for, manager, team, outsider):
    client = client_for(manager)
    response = client.post(
        reverse("sales:assignment-rule-create"),
        {"source": "web", "strategy": "round_robin", "team": team.pk, "position": 0, "is_active": "on"},
    )
    assert response.url == reverse("sales:assignment-rule-list")
    rule = AssignmentRule.objects.get()
    assert (rule.source, rule.team) == ("web", team)
    client.post(
        reverse("sales:assignment-rule-edit", args=[rule.pk]),
        {"source": "partner", "strategy": "user", "user": outsider.pk, "position": 1, "is_active": "on"},
    )
    rule.refresh_from_db()
    assert (rule.source, rule.strategy, rule.user, rule.team) == ("partner", "user", outsider, None)
    assert "Partner" in client.get(reverse("sales:assignment-rule-list")).content.decode()
    client.post(reverse("sales:assignment-rule-delete", args=[rule.pk]))
    assert not AssignmentRule.objects.exists()


def test_a_round_robin_rule_without_a_team_is_refused(client_for, manager):
    response = client_for(manager).post(
        reverse("sales:assignment-rule-create"), {"source": "", "strategy": "round_robin", "position": 0}
    )
    assert response.context["form"].errors["team"]
    assert not AssignmentRule.objects.exists()


def test_the_rules_link_shows_on_the_list_for_managers_only(client_for, manager, owner):
    rules_url = reverse("sales:assignment-rule-list")
    assert rules_url in client_for(manager).get(LIST_URL).content.decode()
    assert rules_url not in client_for(owner).get(LIST_URL).content.decode()
