"""Sections other apps register on "My day" and the team overview (CRM_MY_DAY_SECTIONS),
shown without sales importing them; here a stand-in section, so sales' tests stay its own."""

import pytest
from django.urls import reverse

from accounts import roles
from sales.registry import MyDaySection


def _stand_in_context(request):
    if roles.is_support_agent(request.user):
        return None  # nothing for agents: the section is left out, and its refresh is 404
    return {"title": f"Section for {request.user.username}", "text": "Registered elsewhere"}


STAND_IN = MyDaySection(slug="stand-in", template="partials/coming_soon_card.html", context=_stand_in_context)


@pytest.fixture(autouse=True)
def _stand_in_section(settings):
    settings.CRM_MY_DAY_SECTIONS = ["sales.tests.test_my_day_sections.STAND_IN"]


def test_a_registered_section_opens_the_reps_day_before_the_sales_cards(client_for, owner):
    content = client_for(owner).get("/").content.decode()
    assert "Section for olivia" in content
    assert content.index("Section for olivia") < content.index('id="my-tasks"')


def test_a_registered_section_shows_on_the_team_overview_too(client_for, manager):
    content = client_for(manager).get("/").content.decode()
    assert "Section for maria" in content
    assert content.index("Section for maria") < content.index('data-testid="team-pipeline"')


def test_a_section_re_renders_on_its_own_for_htmx(client_for, owner):
    response = client_for(owner).get(reverse("sales:my-day-card", args=["stand-in"]), headers={"HX-Request": "true"})
    content = response.content.decode()
    assert response.status_code == 200
    assert "Section for olivia" in content and "<html" not in content


def test_a_section_with_nothing_for_the_viewer_is_404_on_its_own(client_for, agent):
    assert client_for(agent).get(reverse("sales:my-day-card", args=["stand-in"])).status_code == 404


def test_without_registered_sections_the_day_has_only_the_sales_cards(client_for, owner, settings):
    settings.CRM_MY_DAY_SECTIONS = []
    response = client_for(owner).get("/")
    assert "Section for" not in response.content.decode()
    assert client_for(owner).get(reverse("sales:my-day-card", args=["stand-in"])).status_code == 404


def _never_read(request):
    raise AssertionError("a lazy section is not read with the home")


LAZY = MyDaySection(
    slug="lazy-one",
    template="partials/coming_soon_card.html",
    context=_stand_in_context,
    lazy=True,
    shown_to=lambda request: not roles.is_support_agent(request.user),
)
LAZY_NEVER_READ = MyDaySection(
    slug="lazy-one", template="partials/coming_soon_card.html", context=_never_read, lazy=True
)


def test_a_lazy_section_is_a_placeholder_on_the_home_that_loads_it_after_the_page(client_for, owner, settings):
    settings.CRM_MY_DAY_SECTIONS = ["sales.tests.test_my_day_sections.LAZY_NEVER_READ"]
    content = client_for(owner).get("/").content.decode()
    url = reverse("sales:my-day-card", args=["lazy-one"])
    assert f'hx-get="{url}" hx-trigger="load"' in content
    assert content.index('data-testid="lazy-section"') < content.index('id="my-tasks"')


def test_a_lazy_section_loads_on_its_own_and_is_left_out_for_viewers_it_does_not_serve(
    client_for, owner, agent, settings
):
    settings.CRM_MY_DAY_SECTIONS = ["sales.tests.test_my_day_sections.LAZY"]
    url = reverse("sales:my-day-card", args=["lazy-one"])
    assert "Section for olivia" in client_for(owner).get(url, headers={"HX-Request": "true"}).content.decode()
    assert 'data-testid="lazy-section"' not in client_for(agent).get("/").content.decode()
    assert client_for(agent).get(url).status_code == 404
