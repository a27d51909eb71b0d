"""Demo leads and assignment rules for seed_demo: set-based, idempotent."""

import random
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from faker import Faker
from simple_history.utils import bulk_create_with_history

from accounts import roles
from accounts.models import Team, User
from accounts.selectors import team_for_owner
from customers.models import Customer, Interaction
from customers.seed import ascii_address_part

from ..models import AssignmentRule, Lead, LeadActivity

STATUS_WEIGHTS = {
    Lead.Status.NEW: 4,
    Lead.Status.CONTACTED: 3,
    Lead.Status.QUALIFIED: 2,
    Lead.Status.UNQUALIFIED: 1,
}
UNQUALIFIED_REASONS = ["No budget", "Student project", "Competitor", "Wrong country", "No reply after 3 attempts"]
CALL_SUMMARIES = ["Intro call", "Left a voicemail", "Asked for a demo", "Sent the price list", "Talked about timing"]
SOURCES = [value for value in Customer.Source.values if value != Customer.Source.IMPORT]
BATCH = 2000


@transaction.atomic
def seed_demo(*, customers: int, stdout) -> None:
    if customers <= 0:
        return
    rules = _seed_rules()
    if Lead.objects.exists():
        stdout.write("Leads already exist; not adding demo leads.")
        return
    owners = list(User.objects.filter(groups__name=roles.SALES_REP, is_active=True).order_by("pk"))
    leads = _seed_leads(owners, count=max(1, customers // 10))
    stdout.write(f"Created {len(leads)} leads and {rules} assignment rules.")


def _seed_rules() -> int:
    """Web leads take turns in team North; partner leads go to one rep of team South."""
    if AssignmentRule.objects.exists():
        return 0
    rules = []
    north = Team.objects.filter(name="North").first()
    if north:
        rules.append(AssignmentRule(source=Customer.Source.WEB, team=north, position=0))
    partner_rep = (
        User.objects.filter(username="sam").first() or User.objects.filter(groups__name=roles.SALES_REP).first()
    )
    if partner_rep:
        rules.append(
            AssignmentRule(
                source=Customer.Source.PARTNER, strategy=AssignmentRule.Strategy.USER, user=partner_rep, position=1
            )
        )
    bulk_create_with_history(rules, AssignmentRule)
    return len(rules)


def _seed_leads(owners: list[User], *, count: int) -> list[Lead]:
    fake = Faker(["en_US", "de_DE", "tr_TR"])
    fake.seed_instance(7)
    rng = random.Random(7)  # noqa: S311 - demo data, not security
    teams = {owner.pk: team_for_owner(owner) for owner in owners}
    now = timezone.now()
    rows = []
    for index in range(count):
        owner = rng.choice(owners) if owners else None
        status = rng.choices(list(STATUS_WEIGHTS), weights=list(STATUS_WEIGHTS.values()))[0]
        first, last = fake.first_name(), fake.last_name()
        company = fake.company() if rng.random() < 0.8 else ""
        domain = "gmail.com" if not company or rng.random() < 0.3 else fake.domain_name()
        rows.append(
            Lead(
                first_name=first,
                last_name=last,
                email=f"{ascii_address_part(first, last)}.{index}@{domain}",
                phone=fake.phone_number()[:40],
                company_name=company[:200],
                source=rng.choice(SOURCES),
                status=status,
                unqualified_reason=rng.choice(UNQUALIFIED_REASONS) if status == Lead.Status.UNQUALIFIED else "",
                owner=owner,
                team=teams.get(owner.pk) if owner else None,
                created_at=now - timedelta(days=rng.randint(0, 60), minutes=rng.randint(0, 1440)),
            )
        )
    leads = Lead.objects.bulk_create(rows, batch_size=BATCH)
    _seed_timelines(rng, leads, now)
    return leads


def _seed_timelines(rng, leads: list[Lead], now) -> None:
    entries = []
    for lead in leads:
        entries.append(
            LeadActivity(
                lead=lead,
                kind=Interaction.Kind.SYSTEM,
                action="lead.created",
                summary="Lead created",
                user=lead.owner,
                occurred_at=lead.created_at,
            )
        )
        if lead.status != Lead.Status.NEW:
            entries.append(
                LeadActivity(
                    lead=lead,
                    kind=Interaction.Kind.CALL,
                    summary=rng.choice(CALL_SUMMARIES),
                    user=lead.owner,
                    occurred_at=min(now, lead.created_at + timedelta(hours=rng.randint(1, 72))),
                )
            )
    LeadActivity.objects.bulk_create(entries, batch_size=BATCH)
