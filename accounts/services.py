"""Writes for users and teams."""

from django.contrib.auth.models import Group
from django.db import transaction

from .models import Team, User


@transaction.atomic
def user_create(
    *,
    username: str,
    email: str,
    first_name: str,
    last_name: str,
    password: str,
    role: str | None = None,
    is_superuser: bool = False,
) -> User:
    if is_superuser:
        user = User.objects.create_superuser(username=username, email=email, password=password)
    else:
        user = User.objects.create_user(username=username, email=email, password=password)
    user.first_name, user.last_name = first_name, last_name
    user.save(update_fields=["first_name", "last_name"])
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


@transaction.atomic
def team_create(*, name: str, manager: User | None, members: list[User]) -> Team:
    team = Team.objects.create(name=name, manager=manager)
    team.members.set(members)
    return team
