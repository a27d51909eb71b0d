"""Every form that sends the user back somewhere reads `next` through one helper,
and that helper never leaves the site: the customer bulk action followed
`next=//evil.example` before."""

import pytest
from django.test import RequestFactory
from django.urls import reverse

from crm_project.helpers import next_url
from customers.tests.factories import CustomerFactory, TagFactory
from sales.tests.factories import DealFactory, LeadFactory

pytestmark = pytest.mark.django_db

HOSTILE = ["//evil.example", "https://evil.example/x", "/\\evil.example", "javascript:alert(1)", "\\\\evil.example"]


@pytest.mark.parametrize("target", HOSTILE)
def test_a_next_on_another_site_falls_back(target):
    request = RequestFactory().post("/", {"next": target})
    assert next_url(request, "/customers/") == "/customers/"


def test_a_next_on_this_site_is_followed():
    request = RequestFactory().get("/", {"next": "/sales/pipeline/?owner=3"})
    assert next_url(request, "/customers/") == "/sales/pipeline/?owner=3"


@pytest.mark.parametrize("target", HOSTILE)
def test_the_customer_bulk_action_never_redirects_off_the_site(client_for, owner, target):
    customer = CustomerFactory(owner=owner)
    response = client_for(owner).post(
        reverse("customers:customer-bulk"),
        {"action": "add_tag", "tag": TagFactory().pk, "ids": [customer.pk], "next": target},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:customer-list")


def test_the_lead_bulk_action_never_redirects_off_the_site(client_for, manager, owner):
    lead = LeadFactory(owner=owner)
    response = client_for(manager).post(
        reverse("sales:lead-bulk"), {"action": "assign_rules", "ids": [lead.pk], "next": "//evil.example"}
    )
    assert response["Location"] == reverse("sales:lead-list")


def test_moving_a_deal_never_redirects_off_the_site(client_for, owner):
    deal = DealFactory(owner=owner)
    other_stage = deal.pipeline.stages.exclude(pk=deal.stage_id).filter(is_won=False, is_lost=False).first()
    response = client_for(owner).post(
        reverse("sales:deal-move", args=[deal.pk]), {"stage": other_stage.pk, "next": "//evil.example"}
    )
    assert response["Location"] == deal.get_absolute_url()
