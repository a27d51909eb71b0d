"""Admins edit the segment rules; a bad pattern is refused with a clear error."""

import pytest
from django.urls import reverse

from analytics.models import RfmSegment

pytestmark = pytest.mark.django_db


def change(client, segment, **fields):
    data = {
        "position": segment.position,
        "pattern": segment.pattern,
        "name": segment.name,
        "meaning": segment.meaning,
        "action": segment.action,
        "color": segment.color,
    }
    return client.post(reverse("admin:analytics_rfmsegment_change", args=[segment.pk]), data | fields)


@pytest.mark.parametrize(
    ("pattern", "error"),
    [("[1-2", "Not a valid pattern"), ("6[1-5]", "matches no R+F pair")],
)
def test_a_pattern_that_cannot_match_is_refused(client_for, admin_user, pattern, error):
    champions = RfmSegment.objects.get(name="Champions")

    response = change(client_for(admin_user), champions, pattern=pattern)

    assert response.status_code == 200
    assert error in response.content.decode()
    champions.refresh_from_db()
    assert champions.pattern == "5[4-5]"


def test_an_admin_widens_a_segment(client_for, admin_user):
    champions = RfmSegment.objects.get(name="Champions")

    response = change(client_for(admin_user), champions, pattern="5[3-5]")

    assert response.status_code == 302
    champions.refresh_from_db()
    assert champions.matches("53")


def test_a_segment_rule_change_shows_old_and_new_pattern_and_who_on_its_history_page(client_for, admin_user):
    champions = RfmSegment.objects.get(name="Champions")
    client = client_for(admin_user)

    change(client, champions, pattern="5[3-5]")

    # The default segments came from a migration; their baseline row makes the old pattern known.
    page = client.get(reverse("admin:analytics_rfmsegment_history", args=[champions.pk])).content.decode()
    assert (
        '<strong>R+F pattern:</strong> <span class="old">5[4-5]</span> &rarr; <span class="new">5[3-5]</span>' in page
    )
    assert "(ada)" in page
    assert champions.history.first().history_user == admin_user


def test_an_rfm_runs_admin_page_shows_its_segment_sizes_and_links_to_its_scores(client_for, admin_user, owner):
    from analytics.services import rfm_score_run
    from analytics.tests.helpers import order
    from analytics.tests.test_scoring import AS_OF, days_before
    from customers.tests.factories import CustomerFactory

    order(CustomerFactory(owner=owner), days_before(3), total="900.00")
    run = rfm_score_run(as_of=AS_OF)
    client = client_for(admin_user)

    page = client.get(reverse("admin:analytics_rfmrun_change", args=[run.pk])).content.decode()

    segment = run.summary["segments"]
    assert sum(figures["customers"] for figures in segment.values()) == 1
    assert ": 1" in page
    assert f"/analytics/rfm/?run={run.pk}" in page
    assert client.get(reverse("admin:analytics_rfmrun_add")).status_code == 403


def test_admins_read_a_clv_run_but_cannot_add_or_change_one(client_for, admin_user):
    from analytics.models import ClvRun

    run = ClvRun.objects.create(
        calibration_end="2026-03-10",
        horizon=52.18,
        discount_rate=0.01,
        bgnbd_params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426},
        gamma_gamma_params={"p": 6.25, "q": 3.74, "v": 15.44},
    )
    client = client_for(admin_user)

    assert "2026" in client.get(reverse("admin:analytics_clvrun_changelist")).content.decode()
    page = client.get(reverse("admin:analytics_clvrun_change", args=[run.pk])).content.decode()
    assert "alpha = 4.414" in page and "q = 3.74" in page
    assert client.get(reverse("admin:analytics_clvrun_add")).status_code == 403
    response = client.post(reverse("admin:analytics_clvrun_change", args=[run.pk]), {"unit": "days"})
    assert response.status_code == 403
    run.refresh_from_db()
    assert run.unit == "weeks"
