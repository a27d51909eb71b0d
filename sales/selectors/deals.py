"""Reads for deals, pipelines and the Kanban board. Every list starts from `visible_to(user)`."""

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone

from accounts import roles
from crm_project.access import can_write, get_for_user
from customers.models import Customer, Interaction

from ..models import Deal, DealProduct, DealStageChange, Pipeline, Stage, Task
from .money import MoneyTotal, currency_totals


def deal_get_for_user(*, user, pk, write: bool = False) -> Deal:
    queryset = Deal.objects.select_related("customer", "company", "pipeline", "stage", "owner", "team")
    return get_for_user(queryset, user=user, pk=pk, write=write)


# Won and lost columns show deals closed in the last CLOSED_DAYS days only.
CLOSED_DAYS = 30
# Cards per column request ("Show more" loads the next ones).
CARDS_PER_PAGE = 20
# How many customers the deal form offers before the user searches.
CUSTOMER_CHOICES = 200
CENT = Decimal("0.01")


# --- who may do what ----------------------------------------------------------------------
def may_use_sales(user) -> bool:
    """The board, the deal list and creating deals are for reps, managers and admins."""
    return roles.is_manager_or_admin(user) or roles.is_sales_rep(user)


def may_create_deal_for(user, customer: Customer) -> bool:
    return may_use_sales(user) and can_write(user, customer)


# --- lists ------------------------------------------------------------------------------
def deal_list_for_user(*, user) -> QuerySet[Deal]:
    return Deal.objects.visible_to(user).select_related("customer", "pipeline", "stage", "owner")


def deal_totals(queryset: QuerySet[Deal]) -> list[MoneyTotal]:
    """The amounts of the (filtered) deals, summed per currency: one query."""
    return currency_totals(queryset, field="amount")


def deal_search(queryset: QuerySet[Deal], query: str) -> QuerySet[Deal]:
    """Every word must match the title or the customer's name."""
    for word in query.split()[:5]:
        queryset = queryset.filter(
            Q(title__icontains=word) | Q(customer__first_name__icontains=word) | Q(customer__last_name__icontains=word)
        )
    return queryset


def customer_deals_for_user(*, user, customer: Customer, limit: int = 10) -> list[Deal]:
    deals = Deal.objects.visible_to(user).filter(customer=customer).select_related("stage")
    return list(deals.order_by("-created_at", "-pk")[:limit])


# --- pipelines ------------------------------------------------------------------------------
def pipeline_list() -> QuerySet[Pipeline]:
    return Pipeline.objects.annotate(stage_count=Count("stages"))


def pipeline_choose(pipelines: list[Pipeline], pk) -> Pipeline | None:
    """The pipeline asked for by id, else the default one, else the first."""
    by_pk = {str(pipeline.pk): pipeline for pipeline in pipelines}
    if pk is not None and str(pk) in by_pk:
        return by_pk[str(pk)]
    return next((p for p in pipelines if p.is_default), pipelines[0] if pipelines else None)


def pipeline_stages(pipeline: Pipeline) -> list[Stage]:
    stages = list(pipeline.stages.order_by("position", "pk"))
    for stage in stages:
        stage.pipeline = pipeline  # saves a query per card's stuck check
    return stages


# --- the board ----------------------------------------------------------------------------
@dataclass
class BoardColumn:
    stage: Stage
    count: int = 0
    totals: list[tuple[str, Decimal]] = field(default_factory=list)

    @property
    def closed(self) -> bool:
        return not self.stage.is_open


def board_deals(*, user, pipeline: Pipeline) -> QuerySet[Deal]:
    """The pipeline's deals on the board: open ones, and those closed in the last CLOSED_DAYS days."""
    return (
        Deal.objects.visible_to(user)
        .filter(pipeline=pipeline)
        .filter(Q(status=Deal.Status.OPEN) | Q(closed_at__gte=board_closed_since()))
    )


def board_closed_since() -> datetime:
    """The start of the local day CLOSED_DAYS days ago: the won and lost columns count whole
    days, so the board is the same all day long until a deal changes (its page is cached per
    day and version of the deals: sales.views.deals.board)."""
    first_day = timezone.localdate() - timedelta(days=CLOSED_DAYS)
    return datetime.combine(first_day, time.min, tzinfo=timezone.get_current_timezone())


def board_columns(*, deals: QuerySet[Deal], stages: list[Stage]) -> list[BoardColumn]:
    """Count and total per stage (per currency), in one aggregate query for all columns."""
    columns = {stage.pk: BoardColumn(stage=stage) for stage in stages}
    rows = (
        deals.filter(stage__in=[stage.pk for stage in stages])
        .order_by()
        .values("stage_id", "currency")
        .annotate(count=Count("pk"), total=Sum("amount"))
        .order_by("stage_id", "currency")
    )
    for row in rows:
        column = columns[row["stage_id"]]
        column.count += row["count"]
        column.totals.append((row["currency"], (row["total"] or Decimal("0")).quantize(CENT)))
    return list(columns.values())


@dataclass
class BoardSummary:
    """The strip above the board: the open pipeline's size and value, and the won and
    lost columns (they show as drop zones only while a card is dragged)."""

    open_count: int
    open_totals: list[tuple[str, Decimal]]
    closed: list[BoardColumn]


def board_summary(columns: list[BoardColumn]) -> BoardSummary:
    totals: dict[str, Decimal] = {}
    for column in columns:
        if column.closed:
            continue
        for currency, total in column.totals:
            totals[currency] = totals.get(currency, Decimal("0")) + total
    return BoardSummary(
        open_count=sum(column.count for column in columns if not column.closed),
        open_totals=sorted(totals.items()),
        closed=[column for column in columns if column.closed],
    )


def board_column_cards(*, deals: QuerySet[Deal], stage: Stage, page: int) -> tuple[list[Deal], bool]:
    """One page of a column's cards (soonest close date first) and whether more follow."""
    start = (page - 1) * CARDS_PER_PAGE
    cards = list(
        deals.filter(stage=stage)
        .select_related("customer", "owner")
        .order_by(F("expected_close_date").asc(nulls_last=True), "pk")[start : start + CARDS_PER_PAGE + 1]
    )
    for card in cards:
        card.stage = stage
        card.pipeline = stage.pipeline
    return cards[:CARDS_PER_PAGE], len(cards) > CARDS_PER_PAGE


def board_card(*, deal: Deal) -> Deal:
    """A deal ready to render as a card (the board's related rows loaded)."""
    return Deal.objects.select_related("customer", "owner", "pipeline", "stage").get(pk=deal.pk)


# --- the deal page ---------------------------------------------------------------------------
def deal_stage_history(*, deal: Deal) -> QuerySet[DealStageChange]:
    return deal.stage_changes.select_related("from_stage", "to_stage", "actor")


def deal_lines(*, deal: Deal) -> QuerySet[DealProduct]:
    return deal.lines.select_related("product")


def deal_activities(*, deal: Deal, limit: int = 20) -> list[Interaction]:
    """The customer's timeline entries about this deal (audit entries and logged activities)."""
    entries = Interaction.objects.filter(customer_id=deal.customer_id, data__deal=deal.pk).select_related("user")
    return list(entries.order_by("-occurred_at", "-pk")[:limit])


def deal_tasks(*, deal: Deal) -> QuerySet[Task]:
    return Task.objects.filter(deal=deal).select_related("owner")


# --- the deal form -------------------------------------------------------------------------
def deal_customer_choices(*, user, query: str = "", include: Customer | None = None) -> list[Customer]:
    """Customers the user may open a deal for: the first CUSTOMER_CHOICES by name (or those matching
    the search), plus the preselected one."""
    from customers.selectors.customers import customer_search

    customers = Customer.objects.editable_by(user).select_related("company")
    if query.strip():
        customers = customer_search(customers, query)
    found = list(customers.order_by("last_name", "first_name", "pk")[:CUSTOMER_CHOICES])
    if include is not None and include.pk not in {customer.pk for customer in found}:
        found.insert(0, include)
    return found
