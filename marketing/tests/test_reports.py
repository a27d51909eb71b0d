"""A campaign's report on a hand-built campaign: every figure by RFM segment,
revenue within the attribution window against the holdout, in a fixed number of queries."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from accounts.tests.factories import UserFactory
from customers.tests.factories import CustomerFactory
from marketing.models import OutboxMessage, TrackingEvent
from marketing.selectors.reports import campaign_report
from marketing.tests.factories import CampaignFactory, OutboxMessageFactory, TrackingEventFactory
from sales.models import Order
from sales.tests.factories import OrderFactory

START = timezone.now() - timedelta(days=20)
HOLDOUT = OutboxMessage.Status.HOLDOUT


def recipient(campaign, segment, *, status=OutboxMessage.Status.SENT, orders=()):
    """A recipient with paid orders `(days after the start, total)` or `(days, total, status)`."""
    customer = CustomerFactory()
    sent_at = None if status == HOLDOUT else START + timedelta(hours=1)
    message = OutboxMessageFactory(
        campaign=campaign, customer=customer, rfm_segment=segment, status=status, sent_at=sent_at
    )
    for days, total, *order_status in orders:
        OrderFactory(
            customer=customer,
            ordered_at=START + timedelta(days=days),
            total=Decimal(total),
            status=order_status[0] if order_status else Order.Status.PAID,
        )
    return message


def events(message, *specs):
    for kind, source, count in specs:
        for _ in range(count):
            TrackingEventFactory(message=message, kind=kind, source=source)


@pytest.fixture
def campaign(db):
    campaign = CampaignFactory(name="Spring sale", started_at=START, attribution_days=7)
    m1 = recipient(campaign, "Champions", orders=[(2, "100"), (10, "50"), (1, "70", Order.Status.REFUNDED)])
    m2 = recipient(campaign, "Champions")
    recipient(campaign, "Champions", status=OutboxMessage.Status.BOUNCED, orders=[(2, "30")])
    recipient(campaign, "Champions", status=HOLDOUT, orders=[(3, "40"), (-1, "10")])
    m5 = recipient(campaign, "At Risk", orders=[(6, "20")])
    recipient(campaign, "At Risk", status=HOLDOUT)
    recipient(campaign, "At Risk", status=HOLDOUT)
    open_, click, unsub = TrackingEvent.Kind.OPEN, TrackingEvent.Kind.CLICK, TrackingEvent.Kind.UNSUBSCRIBE
    human, proxy, machine = TrackingEvent.Source.HUMAN, TrackingEvent.Source.PROXY, TrackingEvent.Source.MACHINE
    events(m1, (open_, human, 2), (open_, proxy, 1), (click, machine, 1), (click, human, 1), (unsub, human, 1))
    events(m2, (open_, proxy, 1))
    events(m5, (open_, machine, 1))
    # Another campaign's recipient and events do not count here.
    other = recipient(CampaignFactory(started_at=START), "Champions", orders=[(2, "999")])
    events(other, (open_, human, 3))
    return campaign


def by_segment(report):
    return {row.segment: row for row in report.rows}


def test_the_report_counts_sending_and_events_by_segment(campaign):
    rows = by_segment(campaign_report(campaign=campaign))
    champions, at_risk = rows["Champions"], rows["At Risk"]
    assert (champions.sent, champions.bounced, champions.delivered, champions.holdout) == (3, 1, 2, 1)
    assert (champions.opens, champions.opens_human, champions.opens_proxy, champions.openers) == (4, 2, 2, 2)
    assert (champions.clicks, champions.clicks_human, champions.clicks_proxy, champions.clickers) == (2, 1, 0, 1)
    assert champions.unsubscribes == 1
    assert (at_risk.sent, at_risk.delivered, at_risk.holdout) == (1, 1, 2)
    assert (at_risk.opens, at_risk.opens_human, at_risk.openers) == (1, 0, 0)  # a scanner's open only


def test_the_report_measures_revenue_in_the_window_against_the_holdout(campaign):
    report = campaign_report(campaign=campaign)
    champions, at_risk = by_segment(report)["Champions"], by_segment(report)["At Risk"]
    # 100 within 7 days counts; 50 after the window, a refund and a bounced recipient's order do not.
    assert (champions.revenue, champions.converted) == (Decimal("100"), 1)
    assert champions.revenue_per_recipient == Decimal("50.00")
    assert champions.conversion_rate == Decimal("50.00")
    # The holdout's 40 three days after the start counts; 10 before the start does not.
    assert (champions.holdout_revenue, champions.holdout_converted) == (Decimal("40"), 1)
    assert champions.holdout_revenue_per_member == Decimal("40.00")
    assert champions.holdout_conversion_rate == Decimal("100.00")
    assert champions.uplift == Decimal("10.00")
    assert (at_risk.revenue_per_recipient, at_risk.holdout_revenue_per_member, at_risk.uplift) == (
        Decimal("20.00"),
        Decimal("0.00"),
        Decimal("20.00"),
    )
    total = report.total
    assert (total.sent, total.delivered, total.holdout, total.revenue, total.holdout_revenue) == (
        4,
        3,
        3,
        Decimal("120"),
        Decimal("40"),
    )


def test_the_report_takes_three_queries_however_many_recipients(campaign, django_assert_num_queries):
    with django_assert_num_queries(3):
        campaign_report(campaign=campaign)
    for _ in range(5):
        recipient(campaign, "Loyal Customers", orders=[(1, "10")])
    with django_assert_num_queries(3):
        report = campaign_report(campaign=campaign)
    assert by_segment(report)["Loyal Customers"].revenue == Decimal("50")


def test_the_report_page_shows_the_figures_and_a_chart_for_a_marketer(campaign, client_for, django_assert_num_queries):
    marketer = UserFactory(username="mark", role=roles.MARKETER)
    client = client_for(marketer)
    client.get("/")  # warm the session and the user's groups
    with django_assert_num_queries(7):
        response = client.get(reverse("marketing:campaign-report", args=[campaign.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Report: Spring sale" in html
    assert 'data-segment="Champions"' in html
    assert '<td data-col="uplift">10.00</td>' in html
    assert "vendor/chart.js/chart.umd.min.js" in html
    assert 'id="report-data"' in html


def test_the_report_is_forbidden_to_sales_reps(campaign, client_for, owner):
    assert client_for(owner).get(reverse("marketing:campaign-report", args=[campaign.pk])).status_code == 403


def test_the_report_is_open_to_managers(campaign, client_for, manager):
    assert client_for(manager).get(reverse("marketing:campaign-report", args=[campaign.pk])).status_code == 200
