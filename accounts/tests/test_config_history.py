"""History of who is in which role and team: recorded with the admin who changed it."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts import roles
from accounts.history import history_actor
from accounts.models import Team, User
from accounts.services import team_create, user_create
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def user_change_data(user: User, groups: list[Group]) -> dict:
    return {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        "groups": [group.pk for group in groups],
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
    }


def test_an_admin_giving_a_rep_the_manager_role_is_recorded_with_old_and_new_roles(client_for, admin_user, owner):
    rep, manager = Group.objects.get(name=roles.SALES_REP), Group.objects.get(name=roles.MANAGER)
    client = client_for(admin_user)
    url = reverse("admin:accounts_user_change", args=[owner.pk])

    assert client.post(url, user_change_data(owner, [rep, manager])).status_code == 302

    latest = owner.history.first()
    assert latest.history_user == admin_user
    assert set(latest.groups.values_list("group__name", flat=True)) == {roles.SALES_REP, roles.MANAGER}
    page = client.get(reverse("admin:accounts_user_history", args=[owner.pk])).content.decode()
    assert "<strong>Groups:</strong>" in page
    assert '<span class="old">[Sales rep]</span> &rarr; <span class="new">[Sales rep, Manager]</span>' in page
    assert "(ada)" in page


def test_removing_someone_from_a_role_in_a_service_names_the_actor(admin_user, manager):
    with history_actor(admin_user):
        manager.groups.remove(Group.objects.get(name=roles.MANAGER))
    latest = manager.history.first()
    assert (latest.history_user, latest.groups.count()) == (admin_user, 0)


def test_a_login_or_a_password_change_adds_no_visible_change_and_no_password_hash(client, owner, password):
    rows = owner.history.count()
    client.post(reverse("login"), {"username": owner.username, "password": password})
    owner.refresh_from_db()
    assert owner.last_login is not None
    assert owner.history.count() == rows
    assert not any(field.name == "password" for field in owner.history.model._meta.fields)


def test_a_new_user_made_by_the_service_is_recorded_with_their_role(admin_user):
    user = user_create(
        username="nina",
        email="nina@example.com",
        first_name="Nina",
        last_name="New",
        password="not-a-real-password-1",  # noqa: S106
        role=roles.SALES_REP,
        actor=admin_user,
    )
    latest = user.history.first()
    assert latest.history_user == admin_user
    assert list(latest.groups.values_list("group__name", flat=True)) == [roles.SALES_REP]


def test_team_membership_changes_are_recorded_with_who_made_them(client_for, admin_user, owner, teammate):
    team = team_create(name="East", manager=None, members=[owner], actor=admin_user)
    client = client_for(admin_user)
    data = {"name": "East", "manager": "", "members": [owner.pk, teammate.pk]}
    assert client.post(reverse("admin:accounts_team_change", args=[team.pk]), data).status_code == 302

    latest = team.history.first()
    assert latest.history_user == admin_user
    assert set(latest.members.values_list("user_id", flat=True)) == {owner.pk, teammate.pk}
    page = client.get(reverse("admin:accounts_team_history", args=[team.pk])).content.decode()
    assert "<strong>Members:</strong>" in page and "(ada)" in page


def test_renaming_a_team_shows_the_old_and_new_name(client_for, admin_user):
    team = Team.objects.create(name="West")
    client = client_for(admin_user)
    client.post(reverse("admin:accounts_team_change", args=[team.pk]), {"name": "Westward", "members": []})
    page = client.get(reverse("admin:accounts_team_history", args=[team.pk])).content.decode()
    assert '<strong>Name:</strong> <span class="old">West</span> &rarr; <span class="new">Westward</span>' in page


def test_the_history_page_reads_in_turkish(client_for, admin_user):
    user = UserFactory(username="tr", role=roles.SALES_REP)
    client = client_for(admin_user)
    client.post(
        reverse("admin:accounts_user_change", args=[user.pk]),
        user_change_data(user, list(Group.objects.filter(name=roles.MANAGER))),
    )
    page = client.get(
        reverse("admin:accounts_user_history", args=[user.pk]), HTTP_ACCEPT_LANGUAGE="tr"
    ).content.decode()
    assert "Değiştiren" in page and "Değişiklikler (eski → yeni)" in page


def test_the_migration_baseline_records_existing_users_with_their_roles(owner):
    """Users made before history began get one row each, with their roles, so a first change shows the old roles."""
    from django.apps import apps

    from accounts.history import BASELINE_REASON, record_history_baseline

    User.history.all().delete()

    record_history_baseline(apps, "accounts", ["User"])

    baseline = owner.history.get()
    assert (baseline.history_type, baseline.history_change_reason, baseline.username) == (
        "+",
        BASELINE_REASON,
        owner.username,
    )
    assert list(baseline.groups.values_list("group__name", flat=True)) == [roles.SALES_REP]
