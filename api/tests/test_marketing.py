"""Campaigns and segments through the API: read only, for whoever may use /marketing/
(marketers, managers, admins); reps and agents get the pages' 403."""

from decimal import Decimal

import pytest
from django.utils import timezone

from accounts import roles
from accounts.tests.factories import UserFactory
from customers.tests.factories import CustomerFactory
from marketing.models import OutboxMessage, TrackingEvent
from marketing.tests.campaign_fixtures import make_campaign, make_segment
from marketing.tests.factories import OutboxMessageFactory, TrackingEventFactory
from sales.models import Order
from sales.tests.factories import OrderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def marketer(db):
    return UserFactory(username="mia", first_name="Mia", role=roles.MARKETER)


@pytest.fixture
def members(owner, outsider):
    return [CustomerFactory(owner=owner), CustomerFactory(owner=outsider), CustomerFactory(owner=owner)]


@pytest.fixture
def segment(members):
    return make_segment(members, name="Newsletter")


@pytest.fixture
def campaign(segment, members):
    """Sent to two members (one opened and bought), the third held out."""
    campaign = make_campaign(include=[segment], status="sent", started_at=timezone.now(), holdout_percent=10)
    opened = OutboxMessageFactory(campaign=campaign, customer=members[0])
    OutboxMessageFactory(campaign=campaign, customer=members[1])
    OutboxMessageFactory(campaign=campaign, customer=members[2], status=OutboxMessage.Status.HOLDOUT, sent_at=None)
    TrackingEventFactory(message=opened, kind=TrackingEvent.Kind.OPEN)
    OrderFactory(customer=members[0], status=Order.Status.PAID, total=Decimal("80.00"), ordered_at=timezone.now())
    return campaign


def test_a_marketer_lists_and_reads_campaigns_with_their_reports_figures(api_client, marketer, campaign):
    client = api_client(marketer)
    listed = client.get("/api/v1/campaigns/").json()["results"]
    assert [(row["id"], row["include_segments"]) for row in listed] == [
        (campaign.pk, list(campaign.include_segments.values_list("pk", flat=True)))
    ]
    detail = client.get(f"/api/v1/campaigns/{campaign.pk}/").json()
    stats = detail["stats"]
    assert (stats["sent"], stats["delivered"], stats["holdout"], stats["openers"]) == (2, 2, 1, 1)
    assert (stats["revenue"], stats["converted"]) == ("80.00", 1)
    assert detail["progress"]["by_status"]["sent"] == 2 and detail["progress"]["percent"] == 100


def test_managers_and_admins_read_marketing_too(api_client, manager, admin_user, campaign, segment):
    for user in (manager, admin_user):
        client = api_client(user)
        assert client.get(f"/api/v1/campaigns/{campaign.pk}/").status_code == 200
        assert client.get(f"/api/v1/segments/{segment.pk}/").status_code == 200


def test_marketing_is_403_for_reps_and_agents_as_the_pages(api_client, owner, outsider, agent, campaign, segment):
    paths = [
        "/api/v1/campaigns/", f"/api/v1/campaigns/{campaign.pk}/", "/api/v1/segments/",
        f"/api/v1/segments/{segment.pk}/", f"/api/v1/segments/{segment.pk}/members/",
    ]  # fmt: skip
    for user in (owner, outsider, agent):
        client = api_client(user)
        for path in paths:
            response = client.get(path)
            assert response.status_code == 403, (user, path)
            assert "marketers" in response.json()["detail"]


def test_campaigns_filter_as_the_campaign_list(api_client, marketer, campaign, segment):
    draft = make_campaign(include=[segment], name="Autumn teaser")
    client = api_client(marketer)
    assert [row["id"] for row in client.get("/api/v1/campaigns/?status=draft").json()["results"]] == [draft.pk]
    assert [row["id"] for row in client.get("/api/v1/campaigns/?q=autumn").json()["results"]] == [draft.pk]


def test_a_missing_campaign_or_segment_is_404(api_client, marketer):
    client = api_client(marketer)
    assert client.get("/api/v1/campaigns/999999/").status_code == 404
    assert client.get("/api/v1/segments/999999/members/").status_code == 404


def test_segments_list_and_filter_as_the_segment_list(api_client, marketer, segment):
    make_segment([], name="Empty list")
    client = api_client(marketer)
    rows = client.get("/api/v1/segments/?name=news").json()["results"]
    assert [(row["id"], row["kind"]) for row in rows] == [(segment.pk, "static")]


def test_a_segments_members_are_customer_ids_with_their_joining_time_cursor_paged(
    api_client, marketer, segment, members
):
    client = api_client(marketer)
    first = client.get(f"/api/v1/segments/{segment.pk}/members/?page_size=2").json()
    second = client.get(first["next"]).json()
    assert second["next"] is None
    rows = first["results"] + second["results"]
    assert sorted(row["customer"] for row in rows) == sorted(c.pk for c in members)
    assert all(row["joined_at"] for row in rows)


def test_a_deleted_customer_leaves_the_members_as_on_the_segment_page(api_client, marketer, segment, members):
    members[1].deleted_at = timezone.now()
    members[1].save(update_fields=["deleted_at"])
    rows = api_client(marketer).get(f"/api/v1/segments/{segment.pk}/members/").json()["results"]
    assert members[1].pk not in {row["customer"] for row in rows}


def test_marketing_is_read_only(api_client, admin_user, campaign, segment):
    client = api_client(admin_user)
    assert client.post("/api/v1/campaigns/", {"name": "x"}, format="json").status_code == 405
    assert client.delete(f"/api/v1/segments/{segment.pk}/").status_code == 405
