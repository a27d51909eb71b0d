"""Writes for users and teams, their notifications and saved list views."""

from types import EllipsisType

from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from . import selectors
from .history import history_actor
from .models import Notification, SavedView, SavedViewDefault, Team, User


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


# Query parameters a saved view never stores: the page is where the user was, not
# what they chose; `view` and `cols` name the view itself and its columns.
SAVED_VIEW_DROPPED_PARAMETERS = ("page", "view", "cols")


@transaction.atomic
def saved_view_create(
    *, actor: User, list_key: str, name: str, query: str, columns: list[str] | None, team: Team | None = None
) -> SavedView:
    """Save a list's filters, sort and columns under a name, for the actor or shared with one of their teams."""
    _check_team(actor=actor, team=team)
    name = name.strip()
    if SavedView.objects.filter(owner=actor, list_key=list_key, name=name).exists():
        raise ValidationError(_("You already have a view named “%(name)s” on this list.") % {"name": name})
    return SavedView.objects.create(
        owner=actor,
        team=team,
        list_key=list_key,
        name=name,
        query=saved_view_query(query),
        columns=_clean_columns(columns),
    )


@transaction.atomic
def saved_view_update(
    *,
    saved_view: SavedView,
    actor: User,
    name: str | None = None,
    team: Team | None | EllipsisType = ...,
    query: str | None = None,
    columns: list[str] | None | EllipsisType = ...,
) -> SavedView:
    """Rename, share or unshare a view, or store the list's current filters in it: its owner only."""
    _check_owner(actor=actor, saved_view=saved_view)
    if name is not None:
        name = name.strip()
        taken = SavedView.objects.filter(owner=actor, list_key=saved_view.list_key, name=name)
        if taken.exclude(pk=saved_view.pk).exists():
            raise ValidationError(_("You already have a view named “%(name)s” on this list.") % {"name": name})
        saved_view.name = name
    if not isinstance(team, EllipsisType):  # `...`: leave as it is
        _check_team(actor=actor, team=team)
        saved_view.team = team
    if query is not None:
        saved_view.query = saved_view_query(query)
    if not isinstance(columns, EllipsisType):
        saved_view.columns = _clean_columns(columns)
    saved_view.updated_at = timezone.now()
    saved_view.save()
    return saved_view


@transaction.atomic
def saved_view_delete(*, saved_view: SavedView, actor: User) -> None:
    """Delete a view (its owner only); whoever had it as their default gets the plain list again."""
    _check_owner(actor=actor, saved_view=saved_view)
    saved_view.delete()


@transaction.atomic
def saved_view_set_default(*, actor: User, list_key: str, saved_view: SavedView | None) -> None:
    """Make a view the actor's default for its list (their own or one shared with them), or clear it (None)."""
    if saved_view is None:
        SavedViewDefault.objects.filter(user=actor, list_key=list_key).delete()
        return
    if saved_view.list_key != list_key or not selectors.saved_views_visible_to(actor).filter(pk=saved_view.pk).exists():
        raise PermissionDenied
    SavedViewDefault.objects.update_or_create(user=actor, list_key=list_key, defaults={"view": saved_view})


def saved_view_query(query: str) -> str:
    """The query string as stored: without the page, the view's own marker, the columns,
    or the empty fields a submitted filter form sends."""
    data = QueryDict(query.lstrip("?"), mutable=True)
    for parameter in [*SAVED_VIEW_DROPPED_PARAMETERS, *(key for key in data if not any(data.getlist(key)))]:
        data.pop(parameter, None)
    return data.urlencode()[: SavedView._meta.get_field("query").max_length]


def _clean_columns(columns: list[str] | None) -> list[str] | None:
    if columns is None:
        return None
    return [str(name)[:100] for name in columns][:50]


def _check_owner(*, actor: User, saved_view: SavedView) -> None:
    if saved_view.owner_id != actor.pk:
        raise PermissionDenied


def _check_team(*, actor: User, team: Team | None) -> None:
    """A view is shared only with a team the actor belongs to or manages."""
    if team is not None and not selectors.teams_of(actor).filter(pk=team.pk).exists():
        raise PermissionDenied
