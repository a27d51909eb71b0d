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
