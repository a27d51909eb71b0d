"""Demo users and teams for seed_demo. Idempotent: existing users are kept."""

import secrets

from django.db import transaction

from . import roles
from .models import Team, User
from .services import team_create, user_create

# username, first name, last name, role, team
DEMO_USERS = (
    ("maria", "Maria", "Manager", roles.MANAGER, "North"),
    ("rob", "Rob", "Rep", roles.SALES_REP, "North"),
    ("rita", "Rita", "Rep", roles.SALES_REP, "North"),
    ("mark", "Mark", "Manager", roles.MANAGER, "South"),
    ("sam", "Sam", "Seller", roles.SALES_REP, "South"),
    ("sara", "Sara", "Seller", roles.SALES_REP, "South"),
    ("alice", "Alice", "Agent", roles.SUPPORT_AGENT, None),
    ("adam", "Adam", "Agent", roles.SUPPORT_AGENT, None),
    ("mia", "Mia", "Marketer", roles.MARKETER, None),
)


@transaction.atomic
def seed_users() -> dict[str, str]:
    """Create missing demo users and teams; return {username: password} of new ones."""
    created = {}
    if not User.objects.filter(username="admin").exists():
        created["admin"] = _new_password()
        user_create(
            username="admin",
            email="admin@example.com",
            first_name="Ada",
            last_name="Admin",
            password=created["admin"],
            is_superuser=True,
        )
    for username, first, last, role, _team in DEMO_USERS:
        if User.objects.filter(username=username).exists():
            continue
        created[username] = _new_password()
        user_create(
            username=username,
            email=f"{username}@example.com",
            first_name=first,
            last_name=last,
            password=created[username],
            role=role,
        )
    _seed_teams()
    return created


def _seed_teams() -> None:
    for team_name in ("North", "South"):
        if Team.objects.filter(name=team_name).exists():
            continue
        usernames = [row[0] for row in DEMO_USERS if row[4] == team_name]
        members = list(User.objects.filter(username__in=usernames))
        manager = next((u for u in members if roles.MANAGER in roles.roles_of(u)), None)
        team_create(name=team_name, manager=manager, members=members)


def _new_password() -> str:
    return secrets.token_urlsafe(12)
