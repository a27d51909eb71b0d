"""The email template and campaign lists on the shared list frame: search, filters,
sort, saved views, a bounded page size and a query count that does not grow with rows."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import SavedView
from marketing.models import Campaign, EmailTemplate

from .campaign_fixtures import make_campaign, make_segment, make_template, opted_in

pytestmark = pytest.mark.django_db

TEMPLATES = reverse("marketing:template-list")
CAMPAIGNS = reverse("marketing:campaign-list")


def listed(response) -> list[str]:
    return [row.record.name for row in response.context["table"].page.object_list]


def _updated(template: EmailTemplate, days_ago: int) -> None:
    EmailTemplate.objects.filter(pk=template.pk).update(updated_at=timezone.now() - timedelta(days=days_ago))


@pytest.fixture
def audience(db):
    return make_segment(opted_in(1))


# --- templates ------------------------------------------------------------------------------
def test_template_search_finds_a_name_or_a_subject(client_for, marketer):
    make_template(name="Spring", subject="Our spring offer")
    make_template(name="Welcome", subject="Glad you are here")
    make_template(name="Autumn", subject="Leaves and offers")
    client = client_for(marketer)
    assert listed(client.get(TEMPLATES, {"q": "spring"})) == ["Spring"]
    assert listed(client.get(TEMPLATES, {"q": "OFFER"})) == ["Autumn", "Spring"]


def test_templates_filter_by_when_they_were_updated_and_sort_by_it(client_for, marketer):
    _updated(make_template(name="Old"), days_ago=40)
    _updated(make_template(name="Recent"), days_ago=3)
    make_template(name="Today")
    client = client_for(marketer)
    since = (timezone.localdate() - timedelta(days=7)).isoformat()
    assert listed(client.get(TEMPLATES, {"updated_after": since})) == ["Recent", "Today"]
    until = (timezone.localdate() - timedelta(days=30)).isoformat()
    assert listed(client.get(TEMPLATES, {"updated_before": until})) == ["Old"]
    assert listed(client.get(TEMPLATES, {"sort": "-updated_at"})) == ["Today", "Recent", "Old"]


def test_the_template_list_links_each_template_to_its_editor(client_for, marketer):
    template = make_template(name="Spring")
    page = client_for(marketer).get(TEMPLATES).content.decode()
    assert f'href="/marketing/templates/{template.pk}/"' in page
    assert 'href="/marketing/templates/new/"' in page


# --- campaigns ------------------------------------------------------------------------------
def test_campaigns_filter_by_status_and_template_and_search_by_template_name(client_for, marketer, audience):
    spring, welcome = make_template(name="Spring"), make_template(name="Welcome")
    make_campaign(include=[audience], template=spring, name="Spring sale")
    make_campaign(include=[audience], template=welcome, name="Hello", status=Campaign.Status.SENT)
    make_campaign(include=[audience], template=spring, name="Spring again", status=Campaign.Status.SCHEDULED)
    client = client_for(marketer)
    assert listed(client.get(CAMPAIGNS, {"status": "sent"})) == ["Hello"]
    assert sorted(listed(client.get(CAMPAIGNS, {"template": spring.pk}))) == ["Spring again", "Spring sale"]
    assert listed(client.get(CAMPAIGNS, {"q": "welcome"})) == ["Hello"]
    assert listed(client.get(CAMPAIGNS, {"status": "scheduled", "q": "spring"})) == ["Spring again"]


def test_campaigns_list_newest_first_and_sort_by_name(client_for, marketer, audience):
    for name, days_ago in (("B", 2), ("A", 1), ("C", 3)):
        campaign = make_campaign(include=[audience], name=name)
        Campaign.objects.filter(pk=campaign.pk).update(created_at=timezone.now() - timedelta(days=days_ago))
    client = client_for(marketer)
    assert listed(client.get(CAMPAIGNS)) == ["A", "B", "C"]
    assert listed(client.get(CAMPAIGNS, {"sort": "name"})) == ["A", "B", "C"]
    assert listed(client.get(CAMPAIGNS, {"sort": "-name"})) == ["C", "B", "A"]


def test_a_saved_campaign_view_reopens_its_status_filter(client_for, marketer, audience):
    make_campaign(include=[audience], name="Draft one")
    make_campaign(include=[audience], name="Going out", status=Campaign.Status.SCHEDULED)
    client = client_for(marketer)
    response = client.post(
        reverse("saved-view-create"), {"path": CAMPAIGNS, "query": "status=scheduled", "name": "Scheduled"}
    )
    view = SavedView.objects.get(owner=marketer)
    assert view.list_key == "marketing:campaign-list"
    assert response["Location"] == f"{CAMPAIGNS}?view={view.pk}"
    opened = client.get(response["Location"])
    assert opened.status_code == 302 and "status=scheduled" in opened["Location"]
    assert listed(client.get(opened["Location"])) == ["Going out"]


def test_a_saved_template_view_keeps_its_search(client_for, marketer):
    make_template(name="Spring")
    make_template(name="Welcome")
    client = client_for(marketer)
    client.post(reverse("saved-view-create"), {"path": TEMPLATES, "query": "q=welcome", "name": "Welcome ones"})
    view = SavedView.objects.get(owner=marketer, list_key="marketing:template-list")
    assert listed(client.get(TEMPLATES, {"q": "welcome", "view": view.pk})) == ["Welcome"]
    assert "Welcome ones" in client.get(TEMPLATES).content.decode()  # in the "Views" menu


@pytest.mark.parametrize("url", [TEMPLATES, CAMPAIGNS])
def test_the_page_size_is_bounded(client_for, marketer, url):
    response = client_for(marketer).get(url, {"per_page": 100_000})
    assert response.context["table"].paginator.per_page == settings.CRM_PAGE_SIZE_MAX


@pytest.mark.parametrize("url", [TEMPLATES, CAMPAIGNS])
def test_sales_reps_get_403_on_both_lists(client_for, owner, url):
    assert client_for(owner).get(url).status_code == 403


def test_the_lists_read_in_turkish(client_for, marketer, audience):
    make_campaign(include=[audience], status=Campaign.Status.SCHEDULED)
    client = client_for(marketer)
    campaigns = client.get(CAMPAIGNS, HTTP_ACCEPT_LANGUAGE="tr").content.decode()
    assert "Kampanyalar" in campaigns and "Zamanlandı" in campaigns
    templates = client.get(TEMPLATES, HTTP_ACCEPT_LANGUAGE="tr").content.decode()
    assert "Güncellendi" in templates and "Ad veya konu" in templates


# --- query counts ---------------------------------------------------------------------------
@pytest.mark.parametrize("count", [3, 30])
def test_the_template_list_takes_the_same_queries_for_3_or_30_rows(
    client_for, marketer, count, django_assert_num_queries, list_count_queries
):
    for n in range(count):
        make_template(name=f"T{n:02}", created_by=marketer)
    client = client_for(marketer)
    client.get(TEMPLATES)  # the session, the roles and the cached menus settle
    # session, user, roles (the access check and the navigation), the total, the rows
    with django_assert_num_queries(TEMPLATE_LIST_QUERIES + list_count_queries):
        response = client.get(TEMPLATES, {"per_page": 50})
    assert len(response.context["table"].page.object_list) == count


@pytest.mark.parametrize("count", [3, 30])
def test_the_campaign_list_takes_the_same_queries_for_3_or_30_rows(
    client_for, marketer, audience, count, django_assert_num_queries, list_count_queries
):
    templates = [make_template(name=f"T{n}") for n in range(3)]
    for n in range(count):
        make_campaign(include=[audience], template=templates[n % 3], name=f"C{n:02}")
    client = client_for(marketer)
    client.get(CAMPAIGNS)
    # as the template list, plus the template filter's menu
    with django_assert_num_queries(CAMPAIGN_LIST_QUERIES + list_count_queries):
        response = client.get(CAMPAIGNS, {"per_page": 50})
    assert len(response.context["table"].page.object_list) == count


TEMPLATE_LIST_QUERIES = 4
CAMPAIGN_LIST_QUERIES = 5
