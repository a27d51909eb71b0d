"""Saved list views: who sees them, who may change them, and each user's default."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts import selectors, services
from accounts.models import SavedView, SavedViewDefault

pytestmark = pytest.mark.django_db

CUSTOMERS = "customers:customer-list"


def save(actor, name="VIPs", team=None, query="tag=1", columns=None, list_key=CUSTOMERS):
    return services.saved_view_create(
        actor=actor, list_key=list_key, name=name, query=query, columns=columns, team=team
    )


def names(user, list_key=CUSTOMERS):
    return [view.name for view in selectors.saved_views_for(user, list_key)]


def test_a_personal_view_is_seen_by_its_owner_only(owner, teammate, manager, outsider):
    save(owner, "Mine")
    assert names(owner) == ["Mine"]
    assert names(teammate) == names(manager) == names(outsider) == []


def test_a_view_shared_with_a_team_is_seen_by_its_members_and_manager_but_not_outsiders(
    owner, teammate, manager, outsider, team
):
    save(owner, "North VIPs", team=team)
    assert names(teammate) == names(manager) == ["North VIPs"]
    assert names(outsider) == []


def test_views_of_other_lists_are_not_offered(owner):
    save(owner, "Open deals", list_key="sales:deal-list")
    assert names(owner) == []
    assert names(owner, "sales:deal-list") == ["Open deals"]


def test_the_owners_own_views_come_before_the_teams(owner, teammate, team):
    save(teammate, "A shared", team=team)
    save(owner, "Z mine")
    assert names(owner) == ["Z mine", "A shared"]


def test_a_view_cannot_be_shared_with_a_team_the_owner_is_not_in(owner, other_team):
    with pytest.raises(PermissionDenied):
        save(owner, team=other_team)
    assert not SavedView.objects.exists()


def test_the_stored_query_leaves_out_the_page_the_view_marker_and_empty_fields(owner):
    view = save(owner, query="?q=ada&owner=&page=3&view=7&cols=email&sort=-created_at")
    assert view.query == "q=ada&sort=-created_at"


def test_two_views_of_one_list_cannot_share_a_name(owner):
    save(owner, "VIPs")
    with pytest.raises(ValidationError):
        save(owner, " VIPs ")
    assert SavedView.objects.count() == 1


def test_only_the_owner_may_rename_a_shared_view(owner, teammate, team):
    view = save(owner, "North VIPs", team=team)
    with pytest.raises(PermissionDenied):
        services.saved_view_update(saved_view=view, actor=teammate, name="Mine now")
    view.refresh_from_db()
    assert view.name == "North VIPs"
    services.saved_view_update(saved_view=view, actor=owner, name="North customers")
    view.refresh_from_db()
    assert view.name == "North customers"


def test_only_the_owner_may_delete_a_shared_view(owner, teammate, team):
    view = save(owner, "North VIPs", team=team)
    with pytest.raises(PermissionDenied):
        services.saved_view_delete(saved_view=view, actor=teammate)
    assert SavedView.objects.filter(pk=view.pk).exists()
    services.saved_view_delete(saved_view=view, actor=owner)
    assert not SavedView.objects.filter(pk=view.pk).exists()


def test_updating_a_view_stores_the_current_filters_and_columns(owner):
    view = save(owner, query="tag=1")
    services.saved_view_update(saved_view=view, actor=owner, query="tag=2&page=4", columns=["email"])
    view.refresh_from_db()
    assert (view.query, view.columns) == ("tag=2", ["email"])


def test_a_teammate_may_make_a_shared_view_their_own_default_without_changing_the_owners(owner, teammate, team):
    view = save(owner, "North VIPs", team=team)
    services.saved_view_set_default(actor=teammate, list_key=CUSTOMERS, saved_view=view)
    assert [v.is_default for v in selectors.saved_views_for(teammate, CUSTOMERS)] == [True]
    assert [v.is_default for v in selectors.saved_views_for(owner, CUSTOMERS)] == [False]


def test_a_user_has_one_default_per_list(owner):
    first, second = save(owner, "First"), save(owner, "Second")
    services.saved_view_set_default(actor=owner, list_key=CUSTOMERS, saved_view=first)
    services.saved_view_set_default(actor=owner, list_key=CUSTOMERS, saved_view=second)
    assert SavedViewDefault.objects.get(user=owner, list_key=CUSTOMERS).view == second
    services.saved_view_set_default(actor=owner, list_key=CUSTOMERS, saved_view=None)
    assert not SavedViewDefault.objects.filter(user=owner).exists()


def test_an_outsider_cannot_make_someone_elses_view_their_default(owner, outsider):
    view = save(owner)
    with pytest.raises(PermissionDenied):
        services.saved_view_set_default(actor=outsider, list_key=CUSTOMERS, saved_view=view)
    assert not SavedViewDefault.objects.exists()


def test_leaving_the_team_hides_its_views_even_if_one_was_the_default(owner, teammate, team):
    view = save(owner, "North VIPs", team=team)
    services.saved_view_set_default(actor=teammate, list_key=CUSTOMERS, saved_view=view)
    team.members.remove(teammate)
    assert names(teammate) == []
