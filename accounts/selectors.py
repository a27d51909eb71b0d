"""Reads about users and teams that every app needs (who may own records, a user's team)."""

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.shortcuts import get_object_or_404

from . import roles
from .models import Notification, SavedView, SavedViewDefault, Team, User


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


def teams_of(user: User) -> QuerySet[Team]:
    """The teams a user belongs to or manages: their team scope (crm_project.access), the
    people they oversee and the teams they may share a saved view with; by name."""
    return Team.objects.filter(Q(members=user) | Q(manager=user)).distinct().order_by("name")


def team_for_owner(owner: User | None) -> Team | None:
    if owner is None:
        return None
    return teams_of(owner).order_by("pk").first()


def team_people(user: User) -> QuerySet[User]:
    """Everyone in the teams the user manages or belongs to (the user included):
    the people whose work a team manager oversees."""
    teams = teams_of(user).values("pk")
    return User.objects.filter(Q(teams__in=teams) | Q(managed_teams__in=teams) | Q(pk=user.pk)).distinct()


def unread_notification_count(request) -> int:
    """The bell's count, cached on the request: a page that shows it twice costs one query."""
    cached = getattr(request, "_crm_unread_notifications", None)
    if cached is None:
        cached = Notification.objects.filter(user=request.user, read_at__isnull=True).count()
        request._crm_unread_notifications = cached
    return cached


def saved_views_visible_to(user: User) -> QuerySet[SavedView]:
    """The user's own views and those shared with a team they belong to or manage."""
    return SavedView.objects.filter(Q(owner=user) | Q(team__in=teams_of(user).values("pk")))


def saved_views_for(user: User, list_key: str) -> list[SavedView]:
    """The views of one list the user may pick, their own first, each marked
    `is_default` if it is the user's default for that list (one query; the list frame
    keeps the result in its cache, crm_project.fragments.cached_result)."""
    default = SavedViewDefault.objects.filter(user=user, list_key=list_key, view=OuterRef("pk"))
    views = (
        saved_views_visible_to(user)
        .filter(list_key=list_key)
        .select_related("owner", "team")
        .annotate(is_default=Exists(default))
    )
    return sorted(views, key=lambda view: (view.owner_id != user.pk, view.name.lower(), view.pk))


def saved_view_get_for_user(*, user: User, pk: int) -> SavedView:
    """A view the user may see (their own or their team's), else 404."""
    return get_object_or_404(saved_views_visible_to(user), pk=pk)
