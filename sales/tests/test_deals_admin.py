"""The sales admin pages open, list and search (with their inlines)."""

import pytest
from django.urls import reverse

from sales.tests.factories import DealFactory, LeadFactory, OrderFactory, ProductFactory, TaskFactory, default_pipeline

MODELS = ["pipeline", "deal", "product", "target", "assignmentrule", "lead", "task", "order"]


@pytest.mark.parametrize("model", MODELS)
def test_an_admin_lists_and_searches_each_sales_model(client_for, admin_user, owner, model):
    deal = DealFactory(owner=owner)
    LeadFactory(owner=owner)
    TaskFactory(owner=owner, deal=deal)
    ProductFactory()
    OrderFactory(customer=deal.customer)
    client = client_for(admin_user)
    assert client.get(reverse(f"admin:sales_{model}_changelist")).status_code == 200
    assert client.get(reverse(f"admin:sales_{model}_changelist"), {"q": "x"}).status_code == 200


def test_the_pipeline_admin_edits_stages_inline_and_deals_cannot_be_added_there(client_for, admin_user, owner):
    deal = DealFactory(owner=owner)
    client = client_for(admin_user)
    page = client.get(reverse("admin:sales_pipeline_change", args=[default_pipeline().pk])).content.decode()
    assert "Qualification" in page and "stages-TOTAL_FORMS" in page
    assert client.get(reverse("admin:sales_deal_add")).status_code == 403
    change = client.get(reverse("admin:sales_deal_change", args=[deal.pk]))
    assert change.status_code == 200 and 'name="stage"' not in change.content.decode()


@pytest.mark.parametrize("model", ["dealstagechange", "leadactivity"])
def test_stage_changes_and_lead_activities_are_listed_read_only(client_for, admin_user, owner, model):
    from sales.models import DealStageChange, LeadActivity

    deal = DealFactory(owner=owner, title="Expansion – Adams")
    DealStageChange.objects.create(deal=deal, to_stage=deal.stage)
    LeadActivity.objects.create(lead=LeadFactory(owner=owner, last_name="Adams"), summary="Called back")
    client = client_for(admin_user)
    listing = client.get(reverse(f"admin:sales_{model}_changelist"), {"q": "Adams"}).content.decode()
    assert "Expansion – Adams" in listing or "Called back" in listing
    assert client.get(reverse(f"admin:sales_{model}_add")).status_code == 403
    record = (DealStageChange if model == "dealstagechange" else LeadActivity).objects.get()
    change = client.post(reverse(f"admin:sales_{model}_change", args=[record.pk]), {})
    assert change.status_code == 403


def test_the_admin_shows_amounts_with_their_currency_and_grouping(client_for, admin_user, owner):
    DealFactory(owner=owner, amount="12500.00", currency="EUR")
    listing = client_for(admin_user).get(reverse("admin:sales_deal_changelist")).content.decode()
    assert "12,500.00 EUR" in listing
