"""Writes for users and teams."""

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from .history import history_actor
from .models import Notification, Team, User


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
    actor: User | None = None,
) -> User:
    with history_actor(actor):
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
def team_create(*, name: str, manager: User | None, members: list[User], actor: User | None = None) -> Team:
    with history_actor(actor):
        team = Team.objects.create(name=name, manager=manager)
        team.members.set(members)
    return team


@transaction.atomic
def notification_create(*, user: User, text: str, url: str = "") -> Notification:
    """An in-app message for one user; it shows under the bell until read."""
    return Notification.objects.create(user=user, text=text[:500], url=url[:500])


@transaction.atomic
def notifications_mark_read(*, user: User, ids: list[int] | None = None) -> int:
    """Mark the user's unread notifications (all, or those ids) as read; return how many."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=timezone.now())


def profile_update(*, user: User, **fields) -> User:
    """A user's own name, language and time zone (no history: personal settings)."""
    for name, value in fields.items():
        setattr(user, name, value)
    user.save(update_fields=[*fields])
    return user
