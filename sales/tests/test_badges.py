"""sales.badges: the statuses' badges, in the lists' cells and on the pages."""

import pytest
from django.template import Context, Template
from django.utils import translation

from sales.badges import DEAL_STATUS, LEAD_STATUS, ORDER_STATUS
from sales.models import Deal, Lead, Order
from sales.tests.factories import DealFactory, LeadFactory, OrderFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("badge", "value", "html"),
    [
        (DEAL_STATUS, Deal.Status.WON, '<span class="badge text-bg-success">Won</span>'),
        (DEAL_STATUS, Deal.Status.OPEN, '<span class="badge text-bg-primary">Open</span>'),
        (ORDER_STATUS, Order.Status.REFUNDED, '<span class="badge text-bg-warning">Refunded</span>'),
        (ORDER_STATUS, Order.Status.CANCELLED, '<span class="badge text-bg-secondary">Cancelled</span>'),
        (LEAD_STATUS, Lead.Status.NEW, '<span class="badge text-bg-warning" data-testid="lead-status">New</span>'),
    ],
)
def test_a_status_is_its_label_in_a_badge_of_its_colour(badge, value, html):
    with translation.override("en"):
        assert badge.html(value) == html


def test_a_badges_label_is_in_the_language_of_each_page_it_is_drawn_for():
    with translation.override("en"):
        english = DEAL_STATUS.html(Deal.Status.LOST)
    with translation.override("tr"):
        turkish = DEAL_STATUS.html(Deal.Status.LOST)
    assert ">Lost<" in english
    assert turkish != english
    assert "text-bg-danger" in turkish


def test_the_pages_badge_is_the_lists_cell():
    lead, deal, order = LeadFactory(status=Lead.Status.QUALIFIED), DealFactory(), OrderFactory()
    drawn = Template("{% load sales_tags %}{{ lead|status_badge }}|{{ deal|status_badge }}|{{ order|status_badge }}")
    with translation.override("en"):
        html = drawn.render(Context({"lead": lead, "deal": deal, "order": order}))
        assert html.split("|") == [
            LEAD_STATUS.html(lead.status),
            DEAL_STATUS.html(deal.status),
            ORDER_STATUS.html(order.status),
        ]
    assert 'data-testid="lead-status">Qualified<' in html
