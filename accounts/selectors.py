"""Reads about users and teams that every app needs (who may own records, a user's team)."""

from django.db.models import Q, QuerySet

from . import roles
from .models import Notification, Team, User


def active_users() -> QuerySet[User]:
    """Everyone who can log in, by name (owner filters list them all)."""
    return User.objects.filter(is_active=True).order_by("first_name", "last_name")


def assignable_users() -> QuerySet[User]:
    """Users who can own records: reps and managers."""
    return (
        User.objects.filter(is_active=True, groups__name__in=[roles.SALES_REP, roles.MANAGER])
        .distinct()
        .order_by("first_name", "last_name")
    )


def team_for_owner(owner: User | None) -> Team | None:
    if owner is None:
        return None
    return Team.objects.filter(Q(members=owner) | Q(manager=owner)).order_by("pk").first()


def team_people(user: User) -> QuerySet[User]:
    """Everyone in the teams the user manages or belongs to (the user included):
    the people whose work a team manager oversees."""
    teams = Team.objects.filter(Q(manager=user) | Q(members=user)).values("pk")
    return User.objects.filter(Q(teams__in=teams) | Q(managed_teams__in=teams) | Q(pk=user.pk)).distinct()


def unread_notification_count(request) -> int:
    """The bell's count, cached on the request: a page that shows it twice costs one query."""
    cached = getattr(request, "_crm_unread_notifications", None)
    if cached is None:
        cached = Notification.objects.filter(user=request.user, read_at__isnull=True).count()
        request._crm_unread_notifications = cached
    return cached
