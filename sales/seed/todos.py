"""Demo tasks for seed_demo: a few per rep, overdue, due today and coming up. Idempotent."""

import random
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts import roles
from accounts.models import User

from ..models import Deal, Task

TITLES = [
    "Call back about the quote",
    "Send the contract",
    "Prepare the demo",
    "Follow up on the proposal",
    "Check payment status",
    "Book the onboarding meeting",
    "Ask for a referral",
]


@transaction.atomic
def seed_demo(*, customers: int, stdout) -> None:
    if customers <= 0 or Task.objects.exists():
        return
    rng = random.Random(11)  # noqa: S311 - demo data
    now = timezone.now()
    tasks = []
    for rep in User.objects.filter(groups__name=roles.SALES_REP):
        deals = list(Deal.objects.filter(owner=rep, status=Deal.Status.OPEN).select_related("customer")[:8])
        for index, deal in enumerate(deals):
            due = now + timedelta(days=rng.choice([-3, -1, 0, 0, 1, 2, 5, 9]), hours=rng.randint(-3, 3))
            tasks.append(
                Task(
                    title=TITLES[index % len(TITLES)],
                    due_at=due,
                    owner=rep,
                    team=deal.team,
                    deal=deal,
                    customer=deal.customer,
                    priority=rng.choice(Task.Priority.values),
                    created_by=rep,
                    done_at=now if index == 7 else None,
                )
            )
    Task.objects.bulk_create(tasks)
    stdout.write(f"Created {len(tasks)} tasks.")
