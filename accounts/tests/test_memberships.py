from django.contrib.auth.models import Group

from accounts import memberships, roles
from accounts.selectors import teams_of
from accounts.tests.factories import TeamFactory, UserFactory


def test_a_users_roles_and_teams_are_read_together_in_one_query(db, django_assert_num_queries):
    user = UserFactory(role=roles.MANAGER)
    led = TeamFactory(manager=user)
    joined = TeamFactory(members=[user])
    memberships.forget(user)
    with django_assert_num_queries(1):
        assert roles.roles_of(user) == {roles.MANAGER}
        assert memberships.team_ids(user) == {led.pk, joined.pk}
        assert roles.is_manager(user) and not roles.is_sales_rep(user)


def test_team_ids_are_the_teams_the_user_belongs_to_or_manages(db):
    user = UserFactory()
    led_and_joined = TeamFactory(manager=user, members=[user])
    joined = TeamFactory(members=[user, UserFactory()])
    TeamFactory(manager=UserFactory(), members=[UserFactory()])
    assert memberships.team_ids(user) == {led_and_joined.pk, joined.pk}
    assert memberships.team_ids(user) == set(teams_of(user).values_list("pk", flat=True))


def test_groups_that_are_not_roles_are_not_roles(db):
    user = UserFactory(role=roles.SALES_REP)
    user.groups.add(Group.objects.create(name="Book club"))
    memberships.forget(user)
    assert roles.roles_of(user) == {roles.SALES_REP}


def test_after_forget_a_changed_membership_is_read_again(db):
    user = UserFactory(role=roles.SALES_REP)
    assert memberships.team_ids(user) == set()
    team = TeamFactory(members=[user])
    assert memberships.team_ids(user) == set()  # read once per user object (one request)
    memberships.forget(user)
    assert memberships.team_ids(user) == {team.pk}
