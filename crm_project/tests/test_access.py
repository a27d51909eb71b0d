"""The access layer, tested once for every role and scope setting."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from accounts import memberships, roles
from accounts.tests.factories import UserFactory
from crm_project.access import can_write, get_for_user
from crm_project.tests.scoping.models import Note, SharedNote


@pytest.fixture
def notes(owner, teammate, outsider, team, other_team):
    return {
        "own": Note.objects.create(title="own", owner=owner, team=team),
        "teammate": Note.objects.create(title="teammate", owner=teammate, team=team),
        "outsider": Note.objects.create(title="outsider", owner=outsider, team=other_team),
        "unowned": Note.objects.create(title="unowned"),
    }


def titles(queryset):
    return set(queryset.values_list("title", flat=True))


def test_a_rep_sees_only_own_records_by_default(owner, notes):
    assert titles(Note.objects.visible_to(owner)) == {"own"}


def test_a_rep_sees_the_teams_records_when_scope_is_team(owner, notes, settings):
    settings.CRM_SCOPE_SALES_REP = "team"
    assert titles(Note.objects.visible_to(owner)) == {"own", "teammate"}


def test_a_manager_sees_the_team_but_not_other_teams(manager, notes):
    assert titles(Note.objects.visible_to(manager)) == {"own", "teammate"}


def test_a_manager_sees_everything_when_scope_is_all(manager, notes, settings):
    settings.CRM_SCOPE_MANAGER = "all"
    assert titles(Note.objects.visible_to(manager)) == {"own", "teammate", "outsider", "unowned"}


def test_an_admin_sees_everything(admin_user, notes):
    assert titles(Note.objects.visible_to(admin_user)) == {"own", "teammate", "outsider", "unowned"}


def test_a_support_agent_sees_nothing_unless_the_model_allows_it(agent, owner, team):
    Note.objects.create(title="private", owner=owner, team=team)
    SharedNote.objects.create(title="shared", owner=owner, team=team)
    assert titles(Note.objects.visible_to(agent)) == set()
    assert titles(SharedNote.objects.visible_to(agent)) == {"shared"}


def test_a_user_without_a_role_sees_nothing(db, notes):
    assert titles(Note.objects.visible_to(UserFactory())) == set()


def test_anonymous_users_see_nothing(notes):
    from django.contrib.auth.models import AnonymousUser

    assert not Note.objects.visible_to(AnonymousUser()).exists()


def test_a_user_with_two_roles_gets_the_wider_scope(owner, notes):
    owner.groups.add(*owner.groups.model.objects.filter(name=roles.MANAGER))
    memberships.forget(owner)
    assert titles(Note.objects.visible_to(owner)) == {"own", "teammate"}


def test_get_for_user_returns_a_visible_record(owner, notes):
    assert get_for_user(Note.objects, user=owner, pk=notes["own"].pk) == notes["own"]


def test_get_for_user_hides_another_reps_record_as_not_found(owner, notes):
    with pytest.raises(Http404):
        get_for_user(Note.objects, user=owner, pk=notes["outsider"].pk)


def test_a_support_agent_can_read_but_not_write_shared_records(agent, owner, team):
    note = SharedNote.objects.create(title="shared", owner=owner, team=team)
    assert get_for_user(SharedNote.objects, user=agent, pk=note.pk) == note
    with pytest.raises(PermissionDenied):
        get_for_user(SharedNote.objects, user=agent, pk=note.pk, write=True)


def test_writing_follows_the_same_scope(owner, teammate, manager, outsider, notes):
    assert can_write(owner, notes["own"])
    assert not can_write(teammate, notes["own"])
    assert can_write(manager, notes["own"])
    assert not can_write(outsider, notes["own"])


def test_editable_by_matches_can_write(manager, notes):
    editable = titles(Note.objects.editable_by(manager))
    assert editable == {title for title, note in notes.items() if can_write(manager, note)}


def test_scoping_a_list_costs_one_query(owner, notes, django_assert_num_queries):
    owner = type(owner).objects.get(pk=owner.pk)  # no cached roles
    with django_assert_num_queries(2):  # roles, then the list itself
        list(Note.objects.visible_to(owner))
    with django_assert_num_queries(1):
        list(Note.objects.visible_to(owner))


def test_managers_see_unassigned_records_where_the_model_allows_it(manager, owner, team):
    from sales.models import Lead

    Lead.objects.create(last_name="Unassigned")
    Lead.objects.create(last_name="Mine", owner=owner, team=team)
    assert set(Lead.objects.visible_to(manager).values_list("last_name", flat=True)) == {"Unassigned", "Mine"}
    assert set(Lead.objects.visible_to(owner).values_list("last_name", flat=True)) == {"Mine"}
    Note.objects.create(title="nobody's")
    assert "nobody's" not in titles(Note.objects.visible_to(manager))
