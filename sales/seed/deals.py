"""Demo products, a second pipeline and deals for seed_demo: set-based, idempotent."""

import random
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from accounts import roles
from accounts.models import User
from customers.models import Customer, Interaction

from ..models import Deal, DealProduct, DealStageChange, Pipeline, Product, Stage, Target
from ..selectors.forecast import forecast_months
from ..services.deals import pipeline_default
from ..services.pipelines import StageData, pipeline_create

PRODUCTS = [
    ("Starter licence", "49.00"),
    ("Professional licence", "149.00"),
    ("Enterprise licence", "499.00"),
    ("Onboarding workshop", "1200.00"),
    ("Data migration", "2500.00"),
    ("Premium support (year)", "1800.00"),
    ("Standard support (year)", "600.00"),
    ("Training day", "950.00"),
    ("API add-on", "300.00"),
    ("Reporting add-on", "250.00"),
    ("Extra storage 1 TB", "120.00"),
    ("Mobile app add-on", "200.00"),
    ("Custom integration", "4500.00"),
    ("Consulting hour", "140.00"),
    ("Hardware scanner", "380.00"),
    ("Point-of-sale kit", "1450.00"),
    ("Annual maintenance", "2200.00"),
    ("Single sign-on add-on", "350.00"),
    ("Audit log add-on", "180.00"),
    ("Sandbox environment", "420.00"),
]
RENEWAL_STAGES = [
    # name, win probability %, won, lost
    ("Up for renewal", 40, False, False),
    ("Negotiating", 70, False, False),
    ("Renewed", 100, True, False),
    ("Churned", 0, False, True),
]
TITLES = ["New licences", "Expansion", "Onboarding", "Support upgrade", "Pilot project", "Migration", "Add-ons"]
LOST_REASONS = ["Too expensive", "Chose a competitor", "No budget this year", "No decision", "Timing"]
BATCH = 2000
CENT = Decimal("0.01")


@transaction.atomic
def seed_demo(*, customers: int, stdout) -> None:
    products = _seed_products()
    renewals = _seed_renewals_pipeline()
    _seed_targets()
    if Deal.objects.exists():
        stdout.write("Deals already exist; not adding demo deals.")
        return
    rng = random.Random(7)  # noqa: S311 - demo data, not security
    people = list(Customer.objects.order_by("pk").values_list("pk", "owner_id", "team_id", "company_id", "last_name"))[
        ::4
    ]
    deals = _seed_deals(rng, people, pipelines=[pipeline_default(), renewals])
    _seed_lines(rng, deals, products)
    _seed_history(deals)
    stdout.write(f"Created {len(products)} products, the Renewals pipeline and {len(deals)} deals.")


def _seed_targets() -> None:
    """A monthly target per rep for the forecast's six months, so the demo's forecast
    and leaderboard have something to measure against (kept if already set)."""
    reps = User.objects.filter(groups__name=roles.SALES_REP).order_by("pk")
    months = forecast_months()
    taken = set(Target.objects.filter(user__in=reps, month__in=months).values_list("user_id", "month"))
    bulk_create_with_history(
        [
            Target(user=rep, month=month, amount=Decimal(20000 + 5000 * (index % 3)))
            for index, rep in enumerate(reps)
            for month in months
            if (rep.pk, month) not in taken
        ],
        Target,
    )


def _seed_products() -> list[Product]:
    currency = settings.CRM_CURRENCY
    existing = set(Product.objects.filter(sku__startswith="DEMO-").values_list("sku", flat=True))
    # With their first history row, so that a demo product's first price change shows old → new.
    bulk_create_with_history(
        [
            Product(name=name, sku=f"DEMO-{index:03d}", price=Decimal(price), currency=currency)
            for index, (name, price) in enumerate(PRODUCTS, start=1)
            if f"DEMO-{index:03d}" not in existing
        ],
        Product,
    )
    return list(Product.objects.filter(sku__startswith="DEMO-", currency=currency).order_by("sku"))


def _seed_renewals_pipeline() -> Pipeline:
    existing = Pipeline.objects.filter(name="Renewals").first()
    if existing:
        return existing
    stages = [
        StageData(name=name, probability=probability, position=index, is_won=won, is_lost=lost)
        for index, (name, probability, won, lost) in enumerate(RENEWAL_STAGES)
    ]
    return pipeline_create(actor=None, name="Renewals", stages=stages, stuck_after_days=30)


def _seed_deals(rng, people, *, pipelines) -> list[Deal]:
    now, today = timezone.now(), timezone.localdate()
    stages_of = {p.pk: list(Stage.objects.filter(pipeline=p).order_by("position", "pk")) for p in pipelines}
    rows = []
    for index, (customer_id, owner_id, team_id, company_id, last_name) in enumerate(people):
        pipeline = pipelines[1] if index % 6 == 5 else pipelines[0]
        stage = _pick_stage(rng, stages_of[pipeline.pk])
        stuck = rng.random() < 0.08
        in_stage = timedelta(days=rng.randint(20, 90) if stuck else rng.randint(0, 12), hours=rng.randint(0, 23))
        changed = now - in_stage
        status = Deal.Status.WON if stage.is_won else Deal.Status.LOST if stage.is_lost else Deal.Status.OPEN
        rows.append(
            Deal(
                title=f"{rng.choice(TITLES)} – {last_name}",
                customer_id=customer_id,
                company_id=company_id,
                pipeline=pipeline,
                stage=stage,
                status=status,
                amount=(Decimal(rng.randint(50_000, 5_000_000)) / 100).quantize(CENT),
                currency=settings.CRM_CURRENCY,
                expected_close_date=today + timedelta(days=rng.randint(-30, 180)),
                lost_reason=rng.choice(LOST_REASONS) if stage.is_lost else "",
                stage_changed_at=changed,
                closed_at=None if stage.is_open else changed,
                created_at=changed - timedelta(days=rng.randint(0, 60)),
                owner_id=owner_id,
                team_id=team_id,
            )
        )
    return Deal.objects.bulk_create(rows, batch_size=BATCH)


def _pick_stage(rng, stages: list[Stage]) -> Stage:
    weights = [
        12 if stage.is_won else 8 if stage.is_lost else 80 / max(1, sum(s.is_open for s in stages)) for stage in stages
    ]
    return rng.choices(stages, weights=weights)[0]


def _seed_lines(rng, deals: list[Deal], products: list[Product]) -> None:
    """About a third of the deals get 1–3 product lines; their amount is the lines' total."""
    if not products:
        return
    lines, changed = [], []
    for deal in deals:
        if rng.random() >= 0.33:
            continue
        picked = rng.sample(products, k=rng.randint(1, 3))
        deal_lines = [
            DealProduct(deal=deal, product=p, quantity=Decimal(rng.randint(1, 10)), unit_price=p.price) for p in picked
        ]
        deal.amount = sum((line.total for line in deal_lines), Decimal("0.00"))
        lines += deal_lines
        changed.append(deal)
    DealProduct.objects.bulk_create(lines, batch_size=BATCH)
    Deal.objects.bulk_update(changed, ["amount"], batch_size=BATCH)


def _seed_history(deals: list[Deal]) -> None:
    """Each deal's opening in its stage history and on its customer's timeline."""
    DealStageChange.objects.bulk_create(
        [DealStageChange(deal=d, to_stage=d.stage, changed_at=d.created_at, actor_id=d.owner_id) for d in deals],
        batch_size=BATCH,
    )
    Interaction.objects.bulk_create(
        [
            Interaction(
                customer_id=d.customer_id,
                company_id=d.company_id,
                kind=Interaction.Kind.SYSTEM,
                action="deal.created",
                summary=f"Deal “{d.title}” opened"[:200],
                occurred_at=d.created_at,
                user_id=d.owner_id,
                data={"deal": d.pk, "title": d.title},
            )
            for d in deals
        ],
        batch_size=BATCH,
    )
