"""Deal, lead and task entries store the parameters of their sentences."""

import importlib

import pytest
from django.urls import reverse
from django.utils import translation

from customers import timeline
from customers.models import Interaction
from customers.timeline_backfill import backfill, parse
from sales.models import LeadActivity
from sales.services.deals import deal_move_stage
from sales.services.leads import lead_convert, lead_set_status
from sales.tests.factories import DealFactory, LeadActivityFactory, LeadFactory, stage_named

MIGRATION = importlib.import_module("sales.migrations.0007_timeline_parameters")


@pytest.mark.django_db
def test_moving_a_deal_stores_its_title_and_the_stage_names_as_they_were(owner):
    deal = DealFactory(owner=owner, title="Roof")
    deal_move_stage(deal=deal, stage=stage_named("Proposal"), actor=owner)
    entry = Interaction.objects.get(action="deal.stage_changed", data__deal=deal.pk)
    assert entry.data["title"] == "Roof"
    assert (entry.data["from_name"], entry.data["to_name"]) == ("Qualification", "Proposal")
    assert entry.summary == "Deal “Roof”: Qualification → Proposal"
    with translation.override("tr"):
        assert timeline.entry_sentence(entry) == "“Roof” fırsatı: Nitelendirme → Teklif"


@pytest.mark.django_db
def test_the_deal_page_lists_its_activities_in_the_readers_language(client_for, owner):
    deal = DealFactory(owner=owner, title="Roof")
    deal_move_stage(deal=deal, stage=stage_named("Proposal"), actor=owner)
    owner.language = "tr"
    owner.save(update_fields=["language"])
    response = client_for(owner).get(reverse("sales:deal-detail", args=[deal.pk]))
    assert "“Roof” fırsatı: Nitelendirme → Teklif" in response.text


@pytest.mark.django_db
def test_a_status_change_is_stored_as_codes_and_read_as_labels(owner, client_for):
    lead = LeadFactory(owner=owner)
    lead_set_status(lead=lead, status="contacted", actor=owner)
    entry = lead.activities.get(action="lead.status_changed")
    assert entry.data == {"from": "new", "to": "contacted", "reason": ""}
    owner.language = "tr"
    owner.save(update_fields=["language"])
    response = client_for(owner).get(reverse("sales:lead-detail", args=[lead.pk]))
    assert "Durum: Yeni → İletişime geçildi" in response.text


@pytest.mark.django_db
def test_converting_a_lead_names_the_customer_on_the_lead_and_the_lead_on_the_customer(owner):
    lead = LeadFactory(owner=owner, first_name="Ann", last_name="Lee")
    customer, _deal = lead_convert(lead=lead, actor=owner, create_deal=False)
    on_lead = lead.activities.get(action="lead.converted")
    on_customer = Interaction.objects.get(customer=customer, action="lead.converted")
    with translation.override("tr"):
        assert timeline.entry_sentence(on_lead) == "Dönüştürüldü: Ann Lee"
        assert timeline.entry_sentence(on_customer) == "Ann Lee adayından dönüştürüldü"


@pytest.mark.parametrize(
    ("action", "summary", "expected"),
    [
        ("deal.created", "Deal “Roof” opened", {"title": "Roof"}),
        ("deal.updated", "Deal “Roof”: changed amount, title", {"title": "Roof", "fields": ["amount", "title"]}),
        ("deal.won", "Deal “Roof”: Negotiation → Won", {"title": "Roof", "from_name": "Negotiation", "to_name": "Won"}),
        ("deal.product_added", "Deal “Roof”: added 2 × Tile", {"title": "Roof", "line": "2 × Tile"}),
        (
            "order.created",
            "Order DEAL-7 created from the won deal “Roof”: 250.50 EUR",
            {"ref": "DEAL-7", "title": "Roof", "total": "250.50", "currency": "EUR"},
        ),
        ("task.completed", "Task “Call back” done", {"title": "Call back"}),
        ("task.updated", "Task “Call back”: changed due_at", {"title": "Call back", "fields": ["due_at"]}),
        ("lead.assigned", "Assigned to Bob Stone by the rule “web”", {"to_name": "Bob Stone", "rule_name": "web"}),
        ("lead.assigned", "Assigned to Bob Stone (no rule matched)", {"to_name": "Bob Stone"}),
        ("lead.reassigned", "Owner changed from — to Bob Stone", {"from_name": None, "to_name": "Bob Stone"}),
        ("lead.converted", "Converted from lead Ann Lee", {"lead_name": "Ann Lee"}),
        ("lead.converted", "Converted to Ann Lee", {"customer_name": "Ann Lee"}),
    ],
)
def test_the_migration_reads_the_parameters_out_of_old_sales_summaries(action, summary, expected):
    assert parse(MIGRATION.PATTERNS, action=action, summary=summary) == expected


@pytest.mark.django_db
def test_backfilling_an_old_lead_entry_makes_it_read_in_turkish(owner):
    lead = LeadFactory(owner=owner)
    old = LeadActivityFactory(
        lead=lead, kind="system", action="lead.reassigned", summary="Owner changed to Bob Stone", data={"to": 2}
    )
    assert backfill(LeadActivity, MIGRATION.PATTERNS) == 1
    old.refresh_from_db()
    with translation.override("tr"):
        assert timeline.entry_sentence(old) == "Sahip Bob Stone olarak değişti"
