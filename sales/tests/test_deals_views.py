"""Deal pages with personas: the list, the deal page, create/edit, products, the pipeline editor
and the deals panel on the customer page."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from customers.models import Interaction
from customers.tests.factories import CustomerFactory, InteractionFactory
from sales.models import Deal, DealProduct, Pipeline, Stage
from sales.services.deal_lines import deal_line_add
from sales.services.deals import deal_move_stage
from sales.tests.factories import DealFactory, ProductFactory, TaskFactory, default_pipeline, stage_named

LIST = reverse("sales:deal-list")
CREATE = reverse("sales:deal-create")


def detail_url(deal):
    return reverse("sales:deal-detail", args=[deal.pk])


def listed(response) -> list[str]:
    return [row.record.title for row in response.context["table"].page.object_list]


# --- the list -------------------------------------------------------------------------------
def test_a_rep_lists_only_their_own_deals(client_for, owner, teammate, outsider):
    DealFactory(owner=owner, title="Mine")
    DealFactory(owner=teammate, title="Teammate's")
    DealFactory(owner=outsider, title="Outsider's")
    assert listed(client_for(owner).get(LIST)) == ["Mine"]


def test_a_manager_lists_the_teams_deals(client_for, manager, owner, teammate, outsider):
    DealFactory(owner=owner, title="A", expected_close_date=date(2030, 1, 1))
    DealFactory(owner=teammate, title="B", expected_close_date=date(2030, 1, 2))
    DealFactory(owner=outsider, title="C")
    assert listed(client_for(manager).get(LIST)) == ["A", "B"]


def test_support_agents_do_not_get_the_deal_list(client_for, agent):
    assert client_for(agent).get(LIST).status_code == 403


def test_the_list_searches_titles_and_customer_names(client_for, owner):
    DealFactory(owner=owner, title="Fleet renewal")
    DealFactory(owner=owner, title="Other", customer=CustomerFactory(owner=owner, last_name="Lovelace"))
    DealFactory(owner=owner, title="Nothing")
    client = client_for(owner)
    assert listed(client.get(LIST, {"q": "fleet"})) == ["Fleet renewal"]
    assert listed(client.get(LIST, {"q": "lovelace"})) == ["Other"]


def test_the_list_filters_by_stage_status_and_close_date(client_for, owner):
    DealFactory(owner=owner, title="Early", expected_close_date=date(2030, 1, 5))
    DealFactory(owner=owner, title="Proposal", stage=stage_named("Proposal"), expected_close_date=date(2030, 2, 5))
    DealFactory(owner=owner, title="Won", stage=stage_named("Won"), status="won", expected_close_date=date(2030, 3, 5))
    client = client_for(owner)
    assert listed(client.get(LIST, {"stage": stage_named("Proposal").pk})) == ["Proposal"]
    assert listed(client.get(LIST, {"status": "won"})) == ["Won"]
    assert listed(client.get(LIST, {"close_after": "2030-02-01", "close_before": "2030-02-28"})) == ["Proposal"]


def test_the_list_sorts_by_amount(client_for, owner):
    DealFactory(owner=owner, title="Big", amount=Decimal("900.00"))
    DealFactory(owner=owner, title="Small", amount=Decimal("10.00"))
    assert listed(client_for(owner).get(LIST, {"sort": "-amount"})) == ["Big", "Small"]


def test_the_list_query_count_does_not_depend_on_the_rows(
    client_for, owner, django_assert_num_queries, list_count_queries
):
    client = client_for(owner)
    DealFactory.create_batch(2, owner=owner)
    client.get(LIST)
    # Each measured request asks a query string not asked before: the list is drawn, not taken
    # from the cache (a write would also re-run its checked statements on PostgreSQL).
    # session, user, roles, the total (list_count_queries), page (deals with customer, pipeline, stage, owner joined),
    # the footer's totals of the filtered set (one query, per currency);
    # (the filter form's menus, the saved views and the teams to share with come from the cache:
    # crm_project/fragments.py)
    with django_assert_num_queries(5 + list_count_queries):
        client.get(LIST, {"page": 1})
    DealFactory.create_batch(30, owner=owner)
    with django_assert_num_queries(5 + list_count_queries):
        response = client.get(LIST, {"page": 1, "per_page": 25})
    assert len(response.context["table"].page.object_list) == 25


def footer_of(response) -> str:
    html = response.content.decode()
    return html[html.index("<tfoot") : html.index("</tfoot>")] if "<tfoot" in html else ""


def test_the_footer_totals_every_page_of_the_filtered_deals_not_just_this_page(client_for, owner, outsider):
    DealFactory.create_batch(30, owner=owner, amount=Decimal("1000.00"), status="open")
    DealFactory(owner=owner, amount=Decimal("5.50"), status="won", stage=stage_named("Won"))
    DealFactory(owner=outsider, amount=Decimal("999999.00"))  # not the rep's: not in the total
    client = client_for(owner)
    response = client.get(LIST)
    assert len(response.context["table"].page.object_list) == 25
    assert "Total of all pages" in footer_of(response)
    assert "30,005.50 EUR" in footer_of(response)
    assert "5.50 EUR" in footer_of(client.get(LIST, {"status": "won"}))
    assert "30,000.00 EUR" in footer_of(client.get(LIST, {"status": "open"}))


def test_deals_in_different_currencies_are_totalled_per_currency(client_for, owner):
    DealFactory(owner=owner, amount=Decimal("100.00"), currency="EUR")
    DealFactory(owner=owner, amount=Decimal("200.00"), currency="EUR")
    DealFactory(owner=owner, amount=Decimal("50.25"), currency="USD")
    response = client_for(owner).get(LIST)
    assert [(total.currency, total.amount) for total in response.context["table"].totals] == [
        ("EUR", Decimal("300.00")),
        ("USD", Decimal("50.25")),
    ]
    footer = footer_of(response)
    assert '<span class="d-block text-nowrap" data-currency="EUR">300.00 EUR</span>' in footer
    assert '<span class="d-block text-nowrap" data-currency="USD">50.25 USD</span>' in footer


def test_a_list_too_large_to_add_up_says_so_instead_of_a_total(client_for, owner, monkeypatch):
    monkeypatch.setattr("sales.tables.money.TOTALS_MAX_ROWS", 2)
    for title in ("Alpha", "Beta", "Gamma"):
        DealFactory(owner=owner, title=title, amount=Decimal("10.00"))
    client = client_for(owner)
    response = client.get(LIST)
    assert response.context["table"].too_many_to_total
    assert "No totals above 2 rows: narrow the list to see them." in footer_of(response)
    assert "EUR" not in footer_of(response)
    # Narrowed to one, the total is back.
    assert "10.00 EUR" in footer_of(client.get(LIST, {"q": "Alpha"}))


def test_an_empty_list_has_no_footer(client_for, owner):
    response = client_for(owner).get(LIST)
    assert response.context["table"].totals == []
    assert footer_of(response) == ""


def test_the_footer_reads_in_turkish_with_turkish_number_format(client_for, owner, monkeypatch):
    DealFactory(owner=owner, amount=Decimal("1234.50"))
    client = client_for(owner)
    footer = footer_of(client.get(LIST, HTTP_ACCEPT_LANGUAGE="tr"))
    assert "Tüm sayfaların toplamı" in footer
    assert "1.234,50 EUR" in footer
    monkeypatch.setattr("sales.tables.money.TOTALS_MAX_ROWS", 0)
    # Another query string: the list cached a moment ago was drawn under the old limit.
    footer = footer_of(client.get(LIST, {"page": 1}, HTTP_ACCEPT_LANGUAGE="tr"))
    assert "0 satırın üzerinde toplam gösterilmez" in footer


# --- the deal page ----------------------------------------------------------------------------
def test_the_owner_sees_the_deal_page_with_history_products_tasks_and_activities(client_for, owner):
    deal = DealFactory(owner=owner, title="Fleet renewal")
    deal_move_stage(deal=deal, stage=stage_named("Proposal"), actor=owner)
    deal_line_add(
        deal=deal, product=ProductFactory(name="Licence", price=Decimal("120.00")), quantity=Decimal("2"), actor=owner
    )
    TaskFactory(owner=owner, deal=deal, title="Send the contract")
    InteractionFactory(customer=deal.customer, kind="call", summary="Talked about the fleet", data={"deal": deal.pk})
    InteractionFactory(customer=deal.customer, kind="call", summary="Unrelated call")
    response = client_for(owner).get(detail_url(deal))
    content = response.content.decode()
    assert response.status_code == 200
    assert "Qualification → Proposal" in content
    assert "Licence" in content and "240.00 EUR" in content
    assert "Send the contract" in content
    assert "Talked about the fleet" in content and "Unrelated call" not in content
    assert reverse("sales:deal-edit", args=[deal.pk]) in content
    assert 'action="{}"'.format(reverse("sales:deal-move", args=[deal.pk])) in content


def test_a_rep_gets_404_for_a_teammates_deal_when_scoping_is_own(client_for, owner, teammate, settings):
    settings.CRM_SCOPE_SALES_REP = "own"
    deal = DealFactory(owner=teammate)
    assert client_for(owner).get(detail_url(deal)).status_code == 404


def test_a_rep_with_team_scope_opens_a_teammates_deal(client_for, owner, teammate, settings):
    settings.CRM_SCOPE_SALES_REP = "team"
    assert client_for(owner).get(detail_url(DealFactory(owner=teammate))).status_code == 200


def test_an_outsider_gets_404_for_the_deal(client_for, owner, outsider):
    deal = DealFactory(owner=owner)
    client = client_for(outsider)
    assert client.get(detail_url(deal)).status_code == 404
    assert client.get(reverse("sales:deal-edit", args=[deal.pk])).status_code == 404


def test_a_support_agent_reads_a_deal_without_any_form(client_for, agent, owner):
    deal = DealFactory(owner=owner)
    response = client_for(agent).get(detail_url(deal))
    content = response.content.decode()
    assert response.status_code == 200 and not response.context["writable"]
    assert reverse("sales:deal-edit", args=[deal.pk]) not in content
    assert reverse("sales:deal-move", args=[deal.pk]) not in content
    assert reverse("sales:deal-line-add", args=[deal.pk]) not in content


def test_a_support_agent_cannot_change_a_deal(client_for, agent, owner):
    deal = DealFactory(owner=owner)
    client = client_for(agent)
    assert client.get(reverse("sales:deal-edit", args=[deal.pk])).status_code == 403
    assert client.post(reverse("sales:deal-line-add", args=[deal.pk]), {}).status_code == 403
    assert client.get(CREATE).status_code == 403


def test_mark_won_from_the_deal_page(client_for, owner):
    deal = DealFactory(owner=owner)
    response = client_for(owner).post(reverse("sales:deal-move", args=[deal.pk]), {"stage": stage_named("Won").pk})
    assert response.url == deal.get_absolute_url()
    deal.refresh_from_db()
    assert deal.status == Deal.Status.WON
    page = client_for(owner).get(detail_url(deal)).content.decode()
    assert "Mark won" not in page and "Mark lost" in page


def test_the_deal_page_query_count_does_not_grow(client_for, owner, django_assert_num_queries):
    client = client_for(owner)
    deal = DealFactory(owner=owner)
    deal_line_add(deal=deal, product=ProductFactory(), quantity=Decimal("1"), actor=owner)
    TaskFactory(owner=owner, deal=deal)
    client.get(detail_url(deal))
    # session, user, roles, deal, stages, lines, activities, history, the line form's products, tasks
    with django_assert_num_queries(10):
        client.get(detail_url(deal))
    for _ in range(5):
        deal_line_add(deal=deal, product=ProductFactory(), quantity=Decimal("1"), actor=owner)
        TaskFactory(owner=owner, deal=deal)
    deal_move_stage(deal=deal, stage=stage_named("Proposal"), actor=owner)
    deal_move_stage(deal=deal, stage=stage_named("Negotiation"), actor=owner)
    with django_assert_num_queries(10):
        client.get(detail_url(deal))


# --- create and edit --------------------------------------------------------------------------
def test_a_rep_opens_a_deal_for_a_preselected_customer(client_for, owner):
    customer = CustomerFactory(owner=owner, last_name="Hopper")
    client = client_for(owner)
    form_page = client.get(CREATE, {"customer": customer.pk})
    assert form_page.context["form"].initial["customer"] == customer.pk
    response = client.post(
        CREATE,
        {
            "title": "Compiler licences",
            "customer": customer.pk,
            "pipeline": default_pipeline().pk,
            "amount": "1200.50",
            "currency": "eur",
            "expected_close_date": "2030-06-30",
        },
    )
    deal = Deal.objects.get(title="Compiler licences")
    assert response.url == deal.get_absolute_url()
    assert (deal.customer, deal.owner, deal.stage.name, deal.amount, deal.currency) == (
        customer,
        owner,
        "Qualification",
        Decimal("1200.50"),
        "EUR",
    )
    assert Interaction.objects.filter(customer=customer, action="deal.created", data__deal=deal.pk).exists()


def test_a_rep_cannot_open_a_deal_for_someone_elses_customer(client_for, owner, outsider):
    foreign = CustomerFactory(owner=outsider)
    client = client_for(owner)
    assert client.get(CREATE, {"customer": foreign.pk}).status_code == 404
    response = client.post(
        CREATE,
        {
            "title": "Sneaky",
            "customer": foreign.pk,
            "pipeline": default_pipeline().pk,
            "amount": "1",
            "currency": "EUR",
        },
    )
    assert response.status_code == 200 and "customer" in response.context["form"].errors
    assert not Deal.objects.filter(title="Sneaky").exists()


def test_the_chosen_stage_must_belong_to_the_chosen_pipeline(client_for, owner, manager):
    from sales.services.pipelines import StageData, pipeline_create

    other = pipeline_create(actor=manager, name="Other", stages=[StageData(name="X", probability=1, position=0)])
    customer = CustomerFactory(owner=owner)
    response = client_for(owner).post(
        CREATE,
        {
            "title": "Mixed",
            "customer": customer.pk,
            "pipeline": default_pipeline().pk,
            "stage": other.stages.get().pk,
            "amount": "1",
            "currency": "EUR",
        },
    )
    assert "stage" in response.context["form"].errors
    assert not Deal.objects.filter(title="Mixed").exists()


def test_a_manager_opens_a_deal_for_a_rep_in_a_chosen_stage(client_for, manager, owner, team):
    customer = CustomerFactory(owner=owner)
    client_for(manager).post(
        CREATE,
        {
            "title": "For Olivia",
            "customer": customer.pk,
            "pipeline": default_pipeline().pk,
            "stage": stage_named("Proposal").pk,
            "amount": "10",
            "currency": "EUR",
            "owner": owner.pk,
        },
    )
    deal = Deal.objects.get(title="For Olivia")
    assert (deal.owner, deal.team, deal.stage.name) == (owner, team, "Proposal")


def test_the_customer_search_offers_only_customers_the_rep_may_use(client_for, owner, outsider):
    CustomerFactory(owner=owner, last_name="Lovelace")
    CustomerFactory(owner=owner, last_name="Hopper")
    CustomerFactory(owner=outsider, last_name="Lovelock")
    response = client_for(owner).get(reverse("sales:deal-customer-options"), {"customer_search": "Love"})
    content = response.content.decode()
    assert "Lovelace" in content and "Hopper" not in content and "Lovelock" not in content


def test_editing_a_deal_saves_and_leaves_an_audit_entry(client_for, owner):
    deal = DealFactory(owner=owner, title="Old title")
    response = client_for(owner).post(
        reverse("sales:deal-edit", args=[deal.pk]),
        {"title": "New title", "amount": "42.00", "currency": "EUR", "expected_close_date": "2030-01-31"},
    )
    assert response.url == deal.get_absolute_url()
    deal.refresh_from_db()
    assert (deal.title, deal.amount, deal.expected_close_date) == ("New title", Decimal("42.00"), date(2030, 1, 31))
    entry = Interaction.objects.get(action="deal.updated", data__deal=deal.pk)
    assert set(entry.data["fields"]) == {"title", "amount", "expected_close_date"}


def test_a_deal_with_products_keeps_its_amount_when_edited(client_for, owner):
    deal = DealFactory(owner=owner)
    deal_line_add(deal=deal, product=ProductFactory(price=Decimal("30.00")), quantity=Decimal("2"), actor=owner)
    client_for(owner).post(
        reverse("sales:deal-edit", args=[deal.pk]), {"title": deal.title, "amount": "1.00", "currency": "EUR"}
    )
    deal.refresh_from_db()
    assert deal.amount == Decimal("60.00")


# --- products -------------------------------------------------------------------------------
def test_a_rep_adds_and_removes_a_product_line(client_for, owner):
    deal = DealFactory(owner=owner)
    product = ProductFactory(price=Decimal("19.99"))
    client = client_for(owner)
    response = client.post(reverse("sales:deal-line-add", args=[deal.pk]), {"product": product.pk, "quantity": "3"})
    assert response.url == deal.get_absolute_url() + "#products"
    line = DealProduct.objects.get(deal=deal)
    deal.refresh_from_db()
    assert (line.unit_price, deal.amount) == (Decimal("19.99"), Decimal("59.97"))
    client.post(reverse("sales:deal-line-remove", args=[deal.pk, line.pk]))
    assert not DealProduct.objects.filter(deal=deal).exists()


def test_an_inactive_product_cannot_be_added(client_for, owner):
    deal = DealFactory(owner=owner)
    old = ProductFactory(is_active=False)
    client_for(owner).post(reverse("sales:deal-line-add", args=[deal.pk]), {"product": old.pk, "quantity": "1"})
    assert not DealProduct.objects.filter(deal=deal).exists()


def test_an_outsider_cannot_touch_a_deals_products(client_for, owner, outsider):
    deal = DealFactory(owner=owner)
    line = deal_line_add(deal=deal, product=ProductFactory(), quantity=Decimal("1"), actor=owner)
    client = client_for(outsider)
    assert client.post(reverse("sales:deal-line-remove", args=[deal.pk, line.pk])).status_code == 404
    assert client.post(reverse("sales:deal-line-add", args=[deal.pk]), {}).status_code == 404
    assert DealProduct.objects.filter(pk=line.pk).exists()


def test_a_line_of_another_deal_cannot_be_removed_through_this_one(client_for, owner):
    mine, other = DealFactory(owner=owner), DealFactory(owner=owner)
    line = deal_line_add(deal=other, product=ProductFactory(), quantity=Decimal("1"), actor=owner)
    assert client_for(owner).post(reverse("sales:deal-line-remove", args=[mine.pk, line.pk])).status_code == 404


# --- the pipeline editor -------------------------------------------------------------------
def stage_formset_data(pipeline: Pipeline, **changes) -> dict:
    stages = list(pipeline.stages.order_by("position", "pk"))
    data = {
        "name": pipeline.name,
        "stuck_after_days": pipeline.stuck_after_days,
        "is_default": "on" if pipeline.is_default else "",
        "position": pipeline.position,
        "stages-TOTAL_FORMS": len(stages) + 2,
        "stages-INITIAL_FORMS": len(stages),
        "stages-MIN_NUM_FORMS": 0,
        "stages-MAX_NUM_FORMS": 1000,
    }
    for index, stage in enumerate(stages):
        row = {
            "id": stage.pk,
            "pipeline": pipeline.pk,
            "name": stage.name,
            "probability": stage.probability,
            "position": stage.position,
            "is_won": "on" if stage.is_won else "",
            "is_lost": "on" if stage.is_lost else "",
        }
        row.update(changes.get(stage.name, {}))
        data.update({f"stages-{index}-{key}": value for key, value in row.items() if value != ""})
    for index in (len(stages), len(stages) + 1):
        data[f"stages-{index}-pipeline"] = pipeline.pk
        data[f"stages-{index}-probability"] = 10
        data[f"stages-{index}-position"] = len(stages) + index - len(stages)
    return data


def test_reps_and_agents_get_403_on_the_pipeline_editor(client_for, owner, agent):
    pipeline = default_pipeline()
    for user in (owner, agent):
        client = client_for(user)
        assert client.get(reverse("sales:pipeline-list")).status_code == 403
        assert client.get(reverse("sales:pipeline-edit", args=[pipeline.pk])).status_code == 403
        assert client.post(reverse("sales:pipeline-create"), {}).status_code == 403


def test_a_manager_edits_the_stages_of_a_pipeline(client_for, manager):
    pipeline = default_pipeline()
    client = client_for(manager)
    assert pipeline.name in client.get(reverse("sales:pipeline-list")).content.decode()
    page = client.get(reverse("sales:pipeline-edit", args=[pipeline.pk]))
    assert page.status_code == 200
    data = stage_formset_data(pipeline, Proposal={"name": "Offer", "probability": 55})
    data["stuck_after_days"] = 9
    # Add a stage in the first empty row, at position 3.
    extra = pipeline.stages.count()
    data.update({f"stages-{extra}-name": "Contract", f"stages-{extra}-probability": 90, f"stages-{extra}-position": 3})
    response = client.post(reverse("sales:pipeline-edit", args=[pipeline.pk]), data)
    assert response.status_code == 302, response.context["form"].errors or response.context["formset"].errors
    pipeline.refresh_from_db()
    assert pipeline.stuck_after_days == 9
    assert Stage.objects.get(pipeline=pipeline, name="Offer").probability == 55
    assert Stage.objects.filter(pipeline=pipeline, name="Contract", probability=90).exists()


def test_a_stage_cannot_be_both_won_and_lost(client_for, manager):
    pipeline = default_pipeline()
    data = stage_formset_data(pipeline, Proposal={"is_won": "on", "is_lost": "on"})
    response = client_for(manager).post(reverse("sales:pipeline-edit", args=[pipeline.pk]), data)
    assert response.status_code == 200
    assert not Stage.objects.get(pipeline=pipeline, name="Proposal").is_won


def test_deleting_a_stage_with_deals_is_refused_with_a_message(client_for, manager, owner):
    pipeline = default_pipeline()
    DealFactory(owner=owner, stage=stage_named("Proposal"))
    data = stage_formset_data(pipeline, Proposal={"DELETE": "on"})
    response = client_for(manager).post(reverse("sales:pipeline-edit", args=[pipeline.pk]), data)
    assert response.status_code == 200 and "still has deals" in response.content.decode()
    assert Stage.objects.filter(pipeline=pipeline, name="Proposal").exists()


def test_a_manager_creates_a_pipeline(client_for, manager):
    data = {
        "name": "Partners",
        "stuck_after_days": 20,
        "position": 2,
        "stages-TOTAL_FORMS": 2,
        "stages-INITIAL_FORMS": 0,
        "stages-MIN_NUM_FORMS": 0,
        "stages-MAX_NUM_FORMS": 1000,
        "stages-0-name": "Intro",
        "stages-0-probability": 20,
        "stages-0-position": 0,
        "stages-1-name": "Signed",
        "stages-1-probability": 100,
        "stages-1-position": 1,
        "stages-1-is_won": "on",
    }
    response = client_for(manager).post(reverse("sales:pipeline-create"), data)
    assert response.status_code == 302
    pipeline = Pipeline.objects.get(name="Partners")
    assert list(pipeline.stages.values_list("name", "is_won")) == [("Intro", False), ("Signed", True)]


# --- the customer page's deals panel ---------------------------------------------------------
def test_the_customer_page_lists_the_customers_deals_and_offers_a_new_one(client_for, owner):
    customer = CustomerFactory(owner=owner)
    DealFactory(owner=owner, customer=customer, title="First deal", amount=Decimal("1500.00"))
    content = client_for(owner).get(customer.get_absolute_url()).content.decode()
    assert "First deal" in content and "1,500.00 EUR" in content
    assert f"{CREATE}?customer={customer.pk}" in content


def test_a_support_agent_sees_the_customers_deals_without_new_deal(client_for, agent, owner):
    customer = CustomerFactory(owner=owner)
    DealFactory(owner=owner, customer=customer, title="Visible deal")
    content = client_for(agent).get(customer.get_absolute_url()).content.decode()
    assert "Visible deal" in content
    assert f"{CREATE}?customer=" not in content


def test_the_panel_leaves_out_deals_the_viewer_may_not_see(client_for, manager, owner, outsider):
    customer = CustomerFactory(owner=owner)
    DealFactory(owner=owner, customer=customer, title="Team deal")
    DealFactory(
        owner=outsider,
        customer=customer,
        title="Other team's deal",
        stage_changed_at=timezone.now() - timedelta(days=1),
    )
    content = client_for(manager).get(customer.get_absolute_url()).content.decode()
    assert "Team deal" in content and "Other team's deal" not in content


@pytest.mark.parametrize("language", ["tr"])
def test_the_board_and_list_render_in_turkish(client_for, owner, language):
    DealFactory(owner=owner)
    client = client_for(owner)
    client.post(reverse("set_language"), {"language": language, "next": "/"})
    assert client.get(reverse("sales:pipeline")).status_code == 200
    assert client.get(LIST).status_code == 200


def test_a_won_deal_offers_to_create_an_order(client_for, owner, agent):
    deal = DealFactory(owner=owner)
    order_url = reverse("sales:order-create-from-deal", args=[deal.pk])
    assert order_url not in client_for(owner).get(detail_url(deal)).content.decode()
    deal_move_stage(deal=deal, stage=stage_named("Won"), actor=owner)
    page = client_for(owner).get(detail_url(deal)).content.decode()
    assert f'action="{order_url}"' in page and "Create order" in page
    assert order_url not in client_for(agent).get(detail_url(deal)).content.decode()


def test_a_lost_deal_keeps_a_reason_when_edited(client_for, owner):
    deal = DealFactory(owner=owner)
    deal_move_stage(deal=deal, stage=stage_named("Lost"), actor=owner, lost_reason="Price")
    response = client_for(owner).post(
        reverse("sales:deal-edit", args=[deal.pk]), {"title": deal.title, "amount": "1", "currency": "EUR"}
    )
    assert response.status_code == 200 and "lost_reason" in response.context["form"].errors
    deal.refresh_from_db()
    assert deal.lost_reason == "Price"


def test_the_deal_list_flags_open_deals_whose_close_date_has_passed(client_for, owner):
    DealFactory(owner=owner, title="Left behind", expected_close_date=timezone.localdate() - timedelta(days=3))
    DealFactory(owner=owner, title="On time", expected_close_date=timezone.localdate() + timedelta(days=3))
    content = client_for(owner).get(reverse("sales:deal-list")).content.decode()
    assert content.count('data-testid="close-overdue"') == 1
    row = content.split("Left behind", 1)[1].split("</tr>", 1)[0]
    assert 'data-testid="close-overdue"' in row


def test_the_deal_list_reads_of_the_rows_it_joins_only_the_names_it_shows(client_for, owner):
    """DealTable.related_columns: no owner's password hash nor customer's address is read, and
    the shown names still need no query per row."""
    DealFactory.create_batch(3, owner=owner, customer=CustomerFactory(owner=owner, city="Ankara"))
    with CaptureQueriesContext(connection) as read:
        response = client_for(owner).get(reverse("sales:deal-list"))
    rows = [query["sql"] for query in read.captured_queries if '"sales_deal"."title"' in query["sql"]]
    assert len(rows) == 1, rows
    assert '"accounts_user"."password"' not in rows[0]
    assert '"customers_customer"."city"' not in rows[0]
    assert '"customers_customer"."last_name"' in rows[0]
    html = response.content.decode()
    assert html.count(str(owner)) >= 3
