from accounts import memberships, roles
from accounts.tests.factories import UserFactory


def test_primary_role_prefers_the_widest_role(db):
    user = UserFactory(role=roles.SALES_REP)
    assert roles.primary_role(user) == roles.SALES_REP
    user.groups.add(user.groups.model.objects.get(name=roles.MANAGER))
    memberships.forget(user)
    assert roles.primary_role(user) == roles.MANAGER


def test_staff_users_are_admins_whatever_their_groups(db):
    user = UserFactory(is_staff=True, role=roles.SALES_REP)
    assert roles.primary_role(user) == "admin"
    assert roles.is_manager_or_admin(user)


def test_roles_are_read_once_per_user_object(db, django_assert_num_queries):
    user = UserFactory(role=roles.SUPPORT_AGENT)
    memberships.forget(user)
    with django_assert_num_queries(1):
        assert roles.is_support_agent(user)
        assert not roles.is_sales_rep(user)
        assert not roles.is_manager(user)


def test_the_role_groups_exist_after_migrating(db):
    from django.contrib.auth.models import Group

    assert set(Group.objects.values_list("name", flat=True)) >= set(roles.ROLE_NAMES)
