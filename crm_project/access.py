"""Record-level access: the one scoping mechanism every app uses.

A model that holds owned records inherits `OwnedModel` (an `owner` user and
a `team`) and uses `ScopedQuerySet` as its manager. Then:

    Deal.objects.visible_to(user)            # lists, reports, exports, search
    get_for_user(Deal.objects, user=user, pk=pk, write=True)   # detail/edit

Who sees what:
- admins (staff or superusers) see everything;
- managers see their teams' records (CRM_SCOPE_MANAGER="team") or all ("all");
- sales reps see their own records (CRM_SCOPE_SALES_REP="own") or their teams';
- support agents see nothing unless a model opts in with `agent_scope`.
Writing needs the record in scope and a role that may write (`can_write`).
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q
from django.db.models.sql.where import OR, WhereNode
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from accounts import memberships, roles

OWN, TEAM, ALL, NONE = "own", "team", "all", "none"
_WIDTH = {NONE: 0, OWN: 1, TEAM: 2, ALL: 3}


class ScopedQuerySet(models.QuerySet):
    # Models may override these on a subclass of the queryset.
    owner_field = "owner"
    team_field = "team"
    # Support agents' read scope for this kind of record (e.g. ALL for customers).
    agent_scope = NONE
    # Records with neither owner nor team (e.g. leads from a web form) wait for
    # a manager to assign them: let managers see them.
    managers_see_unassigned = False
    # Whether each branch of the scope has an index in the model's order (owner,
    # then the ordering's columns; team, then the same): lists then page a wide
    # scope branch by branch (crm_project.lists.ListPaginator).
    scope_branch_indexes = False

    def read_scope(self, user) -> str:
        return self._widest_scope(user, for_writing=False)

    def write_scope(self, user) -> str:
        """Like read_scope, but support agents' extra reach is read-only."""
        return self._widest_scope(user, for_writing=True)

    def _widest_scope(self, user, *, for_writing: bool) -> str:
        if roles.is_admin(user):
            return ALL
        user_roles = roles.roles_of(user)
        scopes = [NONE]
        if roles.MANAGER in user_roles:
            scopes.append(settings.CRM_SCOPE_MANAGER)
        if roles.SALES_REP in user_roles:
            scopes.append(settings.CRM_SCOPE_SALES_REP)
        if roles.SUPPORT_AGENT in user_roles and not for_writing:
            scopes.append(self.agent_scope)
        return max(scopes, key=_WIDTH.__getitem__)

    def _scope_q(self, user, scope: str) -> Q | None:
        """A filter for the scope, or None for "everything"."""
        if scope == ALL:
            return None
        if scope == NONE:
            return Q(pk__in=[])
        own = Q(**{self.owner_field: user})
        if scope == OWN:
            return own
        # The team ids as values, not a subquery: PostgreSQL then estimates how many
        # rows the scope has from the column's statistics (a subquery counts as half
        # the table) and reads them by the team index.
        return own | Q(**{f"{self.team_field}__in": sorted(user_team_ids(user))})

    def visible_to(self, user):
        if not user.is_authenticated:
            return self.none()
        q = self._scope_q(user, self.read_scope(user))
        if q is not None and self.managers_see_unassigned and roles.is_manager(user):
            q |= Q(**{f"{self.owner_field}__isnull": True, f"{self.team_field}__isnull": True})
        return self if q is None else _marked_scope(self.filter(q))

    def editable_by(self, user):
        if not user.is_authenticated:
            return self.none()
        q = self._scope_q(user, self.write_scope(user))
        return self if q is None else _marked_scope(self.filter(q))


class ScopeNode(WhereNode):
    """The scope's OR of branches (own records, the teams' records, unassigned ones) in
    a queryset's WHERE, marked so that a list can page each branch along its own index
    and merge them (crm_project.lists.scope_branches): PostgreSQL cannot walk one index
    in list order for `owner = me OR team IN (…)`, so it read and sorted every row of a
    manager's scope for each page (issue 11). It compiles exactly as a WhereNode."""


def _marked_scope(queryset):
    """Mark the OR that `filter(scope)` just added (the last condition of the WHERE)."""
    where = queryset.query.where
    last = where.children[-1] if where.children and where.connector != OR else None
    if type(last) is WhereNode and last.connector == OR and not last.negated:
        where.children[-1] = ScopeNode.create(children=list(last.children), connector=OR)
    return queryset


class OwnedModel(models.Model):
    """Abstract base for records that belong to a user and a team."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        abstract = True


def get_for_user(queryset: ScopedQuerySet, *, user, pk, write: bool = False):
    """Fetch one record the user may see (404 otherwise); with write=True,
    also require the right to change it (403 when visible but read-only)."""
    obj = queryset.visible_to(user).filter(pk=pk).first()
    if obj is None:
        raise Http404
    if write and not can_write(user, obj):
        raise PermissionDenied
    return obj


def can_write(user, obj) -> bool:
    queryset = type(obj)._default_manager.all()
    scope = queryset.write_scope(user)
    if scope == ALL:
        return True
    if scope == NONE:
        return False
    if getattr(obj, f"{queryset.owner_field}_id") == user.pk:
        return True
    if scope == OWN:
        return False
    team_id = getattr(obj, f"{queryset.team_field}_id")
    return team_id is not None and team_id in user_team_ids(user)


def user_team_ids(user) -> set[int]:
    return memberships.team_ids(user)
