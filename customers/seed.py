"""Demo companies and customers for seed_demo: set-based, idempotent."""

import random
import re
import unicodedata
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from faker import Faker

from accounts import roles
from accounts.models import User
from accounts.selectors import team_for_owner
from crm_project.helpers import normalize_phone

from .models import Company, ConsentEvent, Customer, Interaction, Tag

TAGS = [
    ("VIP", "#d63384"),
    ("Newsletter", "#0d6efd"),
    ("Partner", "#198754"),
    ("Churn risk", "#dc3545"),
    ("Enterprise", "#6f42c1"),
    ("Trade fair 2026", "#fd7e14"),
]
COUNTRIES = ["DE", "TR", "FR", "NL", "GB", "US", "ES", "IT", "AT", "CH"]
INDUSTRIES = ["Retail", "Manufacturing", "Software", "Logistics", "Healthcare", "Finance", "Hospitality", "Energy"]
CALL_SUMMARIES = [
    "Discussed renewal",
    "Intro call",
    "Follow-up on quote",
    "Asked about delivery times",
    "Checked in after onboarding",
    "Pricing questions",
]
BATCH = 2000


@transaction.atomic
def seed_demo(*, customers: int, stdout) -> None:
    if customers <= 0:
        return
    if Customer.all_objects.exists():
        stdout.write("Customers already exist; not adding demo customers.")
        return
    fake = Faker(["en_US", "de_DE", "tr_TR"])
    Faker.seed(42)
    rng = random.Random(42)  # noqa: S311 - demo data, not security
    owners = list(User.objects.filter(groups__name=roles.SALES_REP).order_by("pk"))
    teams = {owner.pk: team_for_owner(owner) for owner in owners}
    tags = [Tag.objects.get_or_create(name=name, defaults={"color": color})[0] for name, color in TAGS]
    companies = _seed_companies(fake, rng, owners, teams, count=max(1, customers // 6))
    _seed_customers(fake, rng, owners, teams, companies, tags, count=customers)
    stdout.write(f"Created {len(companies)} companies and {customers} customers with timelines.")


def _seed_companies(fake, rng, owners, teams, *, count):
    rows = []
    for _ in range(count):
        owner = rng.choice(owners) if owners else None
        name = fake.unique.company()
        rows.append(
            Company(
                name=name,
                domain=fake.domain_name(),
                industry=rng.choice(INDUSTRIES),
                size=rng.choice(Company.Size.values),
                phone=fake.phone_number()[:40],
                city=fake.city(),
                country=rng.choice(COUNTRIES),
                owner=owner,
                team=teams.get(owner.pk) if owner else None,
            )
        )
    return Company.objects.bulk_create(rows, batch_size=BATCH)


# Letters that Unicode decomposition does not reduce to ASCII.
ASCII_LETTERS = str.maketrans({"ı": "i", "İ": "I", "ß": "ss", "ø": "o", "Ø": "O", "æ": "ae", "ł": "l", "đ": "d"})


def ascii_address_part(*names: str) -> str:
    """ "Çelik", "Geißler" -> "celik.geissler": the edit form, like most mail
    servers, refuses addresses with non-ASCII local parts."""
    text = unicodedata.normalize("NFKD", ".".join(names).translate(ASCII_LETTERS))
    return re.sub(r"[^a-z0-9.]+", "", text.encode("ascii", "ignore").decode().lower()).strip(".")


def _seed_customers(fake, rng, owners, teams, companies, tags, *, count):
    now = timezone.now()
    people = []
    for index in range(count):
        company = rng.choice(companies) if rng.random() < 0.7 else None
        owner = company.owner if company and company.owner else (rng.choice(owners) if owners else None)
        first, last = fake.first_name(), fake.last_name()
        phone = fake.phone_number()[:40]
        consent = rng.choices(Customer.Consent.values, weights=[3, 6, 1])[0]
        created = now - timedelta(days=rng.randint(0, 720), minutes=rng.randint(0, 1440))
        people.append(
            Customer(
                first_name=first,
                last_name=last,
                email=f"{ascii_address_part(first, last)}.{index}@example.com",
                phone=phone,
                phone_normalized=normalize_phone(phone),
                company=company,
                job_title=fake.job()[:100],
                city=fake.city(),
                country=company.country if company else rng.choice(COUNTRIES),
                lifecycle_stage=rng.choice(Customer.Stage.values),
                source=rng.choice(Customer.Source.values),
                external_ref=f"SHOP-{100000 + index}",
                email_consent=consent,
                email_consent_at=created if consent != Customer.Consent.UNKNOWN else None,
                owner=owner,
                team=teams.get(owner.pk) if owner else None,
                created_at=created,
            )
        )
    people += _likely_duplicates(rng, people)
    people = Customer.objects.bulk_create(people, batch_size=BATCH)
    _seed_tags(rng, people, tags)
    _seed_consent(people)
    _seed_timeline(rng, people, owners, now)


def _likely_duplicates(rng, people):
    """About 1% of people entered twice (same email, another spelling), for the duplicates page."""
    copies = []
    for original in rng.sample(people, k=len(people) // 100):
        copies.append(
            Customer(
                first_name=original.first_name[:1] + ".",
                last_name=original.last_name,
                email=original.email.upper(),
                phone=original.phone,
                phone_normalized=original.phone_normalized,
                company=original.company,
                country=original.country,
                owner=original.owner,
                team=original.team,
                created_at=original.created_at,
            )
        )
    return copies


def _seed_tags(rng, people, tags):
    through = Customer.tags.through
    links = [through(customer_id=p.pk, tag_id=tag.pk) for p in people for tag in tags if rng.random() < 0.12]
    through.objects.bulk_create(links, batch_size=BATCH)


def _seed_consent(people):
    events = [
        ConsentEvent(customer=p, status=p.email_consent, source=ConsentEvent.Source.FORM, created_at=p.email_consent_at)
        for p in people
        if p.email_consent != Customer.Consent.UNKNOWN
    ]
    ConsentEvent.objects.bulk_create(events, batch_size=BATCH)


def _seed_timeline(rng, people, owners, now):
    entries = []
    for person in people:
        entries.append(
            Interaction(
                customer=person,
                company=person.company,
                kind=Interaction.Kind.SYSTEM,
                action="customer.created",
                summary="Customer created",
                occurred_at=person.created_at,
                user=person.owner,
            )
        )
        for _ in range(rng.randint(0, 4)):
            kind = rng.choice(Interaction.LOGGABLE_KINDS)
            when = person.created_at + timedelta(days=rng.randint(0, max(1, (now - person.created_at).days)))
            entries.append(
                Interaction(
                    customer=person,
                    company=person.company,
                    kind=kind,
                    summary=rng.choice(CALL_SUMMARIES),
                    occurred_at=min(when, now),
                    user=person.owner or (rng.choice(owners) if owners else None),
                )
            )
    Interaction.objects.bulk_create(entries, batch_size=BATCH)
