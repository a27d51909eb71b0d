"""The CRM's roles. A role is a Django group; admins are staff or superusers.

The role set is read once per request and cached on the user object, with the
user's teams (accounts.memberships), so checking roles in views, templates and
the access layer costs one query.
"""

from django.utils.translation import gettext_lazy as _

from . import memberships

SALES_REP = "Sales rep"
SUPPORT_AGENT = "Support agent"
MANAGER = "Manager"
# Marketers work in /marketing/ only (the group is created by marketing's migration).
MARKETER = "Marketer"
# Not a group: superusers. primary_role() answers it for them.
ADMIN = "admin"
ROLE_NAMES = (SALES_REP, SUPPORT_AGENT, MANAGER, MARKETER)
_ROLE_SET = frozenset(ROLE_NAMES)
ROLE_LABELS = {
    SALES_REP: _("Sales rep"),
    SUPPORT_AGENT: _("Support agent"),
    MANAGER: _("Manager"),
    MARKETER: _("Marketer"),
}


def roles_of(user) -> frozenset[str]:
    if not user.is_authenticated:
        return frozenset()
    return memberships.group_names(user) & _ROLE_SET


def is_admin(user) -> bool:
    return user.is_authenticated and (user.is_superuser or user.is_staff)


def is_manager(user) -> bool:
    return MANAGER in roles_of(user)


def is_sales_rep(user) -> bool:
    return SALES_REP in roles_of(user)


def is_support_agent(user) -> bool:
    return SUPPORT_AGENT in roles_of(user)


def is_marketer(user) -> bool:
    return MARKETER in roles_of(user)


def is_manager_or_admin(user) -> bool:
    return is_admin(user) or is_manager(user)


def primary_role(user) -> str | None:
    """The role that decides the user's home page: the widest one wins."""
    if is_admin(user):
        return ADMIN
    for role in (MANAGER, SALES_REP, SUPPORT_AGENT, MARKETER):
        if role in roles_of(user):
            return role
    return None
