from unittest import mock

import pytest
from django.urls import reverse


def test_anonymous_visitors_are_sent_to_the_login_page(client, db):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    ("persona", "heading", "template"),
    [
        ("owner", "My day", "home/rep.html"),
        ("agent", "My queue", "home/agent.html"),
        ("manager", "Team overview", "home/manager.html"),
        ("admin_user", "Team overview", "home/manager.html"),
    ],
)
def test_each_role_lands_on_its_own_home(request, client_for, persona, heading, template):
    response = client_for(request.getfixturevalue(persona)).get(reverse("home"))
    assert template in [t.name for t in response.templates]
    assert f'<h1 class="h3 mb-1">{heading}</h1>' in response.content.decode()


def test_a_user_without_a_role_is_told_to_ask_an_admin(client_for, db):
    from accounts.tests.factories import UserFactory

    response = client_for(UserFactory()).get(reverse("home"))
    assert "has no role yet" in response.content.decode()


def nav_labels(response):
    return {str(entry["item"].label) for entry in response.context["nav_items"]}


def test_navigation_shows_only_what_the_role_can_use(client_for, owner, agent, manager):
    rep_nav = nav_labels(client_for(owner).get(reverse("home")))
    assert "Pipeline" in rep_nav and "Tickets" not in rep_nav and "Job log" not in rep_nav
    agent_nav = nav_labels(client_for(agent).get(reverse("home")))
    assert "Tickets" in agent_nav and "Pipeline" not in agent_nav
    manager_nav = nav_labels(client_for(manager).get(reverse("home")))
    assert {"Pipeline", "Tickets", "Analytics", "Job log"} <= manager_nav


def test_the_admin_link_is_shown_to_admins_only(client_for, owner, admin_user):
    assert reverse("admin:index") not in client_for(owner).get(reverse("home")).content.decode()
    assert reverse("admin:index") in client_for(admin_user).get(reverse("home")).content.decode()


def test_the_admin_site_works_for_admins(client_for, admin_user):
    response = client_for(admin_user).get(reverse("admin:accounts_team_changelist"))
    assert response.status_code == 200
    assert "Select team to change" in response.content.decode()


def test_health_reports_ok_when_database_and_broker_answer(client, db):
    with mock.patch("crm_project.views._check_broker", return_value="ok"):
        response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


def test_health_is_503_when_the_broker_is_down(client, db):
    with mock.patch("crm_project.views.celery_app.connection_for_write", side_effect=ConnectionError):
        response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["broker"] == "error"
    assert response.json()["database"] == "ok"


def test_unknown_pages_get_the_styled_404(client_for, owner):
    response = client_for(owner).get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_search_without_providers_says_nothing_was_found(client_for, owner):
    response = client_for(owner).get(reverse("search"), {"q": "acme"})
    assert "Nothing found." in response.content.decode()


def test_the_interface_switches_to_turkish(client_for, owner):
    client = client_for(owner)
    response = client.post(reverse("set_language"), {"language": "tr", "next": "/"}, follow=True)
    content = response.content.decode()
    assert '<html lang="tr">' in content
    assert "Günüm" in content  # "My day"


@pytest.mark.parametrize(("seconds", "shown"), [(0.42, "0.4 s"), (12, "12 s"), (185, "3 min 5 s")])
def test_durations_are_shown_short(seconds, shown):
    from datetime import timedelta

    from crm_project.templatetags.crm_tags import duration_short

    assert duration_short(timedelta(seconds=seconds)) == shown
