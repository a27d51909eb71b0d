"""Writes for the forecast: revenue targets per person or team and month (set by managers)."""

from datetime import date
from decimal import Decimal

from django.db import transaction

from accounts.history import history_actor
from accounts.models import Team, User

from ..models import Target


@transaction.atomic
def target_set(
    *, month: date, amount: Decimal | None, actor: User | None, user: User | None = None, team: Team | None = None
) -> Target | None:
    """Set one person's or team's target for a month; None removes it."""
    if (user is None) == (team is None):
        raise ValueError("A target belongs to a user or to a team.")
    month = month.replace(day=1)
    lookup = {"month": month, "user": user} if user is not None else {"month": month, "team": team}
    with history_actor(actor):
        if amount is None:
            Target.objects.filter(**lookup).delete()
            return None
        target, _created = Target.objects.update_or_create(**lookup, defaults={"amount": amount})
    return target


@transaction.atomic
def targets_save_grid(*, team: Team, targets: dict[tuple[str, int, date], Decimal | None], actor: User | None) -> int:
    """Save a team's month grid ({("team"|"user", id, month): amount or None}); return how many changed."""
    months = {month for _kind, _pk, month in targets}
    user_ids = [pk for kind, pk, _month in targets if kind == "user"]
    existing = {
        ("user", target.user_id, target.month): target.amount
        for target in Target.objects.filter(user_id__in=user_ids, month__in=months)
    }
    existing.update(
        {
            ("team", target.team_id, target.month): target.amount
            for target in Target.objects.filter(team=team, month__in=months)
        }
    )
    users = {user.pk: user for user in User.objects.filter(pk__in=user_ids)}
    changed = 0
    for (kind, pk, month), amount in targets.items():
        if existing.get((kind, pk, month)) == amount:
            continue
        if kind == "team":
            target_set(month=month, amount=amount, actor=actor, team=team)
        else:
            target_set(month=month, amount=amount, actor=actor, user=users[pk])
        changed += 1
    return changed
