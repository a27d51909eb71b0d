"""Reads behind the agents' pages: the ticket list and its search, the SLA
state in SQL, the agent's home cards, the manager's backlog card and the
customer page's support panel. Everything starts from the access helpers in
`support.selectors.tickets`."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Case, Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone

from accounts import roles
from customers.models import Customer
from customers.selectors.customers import customer_search

from ..models import CsatSurvey, Queue, Ticket, TicketMessage
from .tickets import queues_for_user, tickets_visible_to

# "Breaching soon": a running clock due within this many minutes (or already breached).
BREACHING_SOON_MINUTES = 60
# Rows per card on the agent's home and on the customer's support panel.
CARD_ROWS = 5

SLA_STATES = ("ok", "near", "breached", "none")
# The lists' order: the nearest running clock first, no clock last, then the oldest.
# On the stored column itself, so that PostgreSQL walks ticket_sla_next_due_idx and
# stops after a page (its ascending order keeps NULLs last, as nulls_last asks).
SLA_ORDER = (F("sla_next_due").asc(nulls_last=True), F("created_at").asc(), F("pk").asc())


def may_use_support(user) -> bool:
    """Agents, managers and admins work tickets; a sales rep reads their customers'
    tickets on the customer page only (no list, no home)."""
    return roles.is_admin(user) or bool({roles.SUPPORT_AGENT, roles.MANAGER} & roles.roles_of(user))


def sla_due_expression(prefix: str = "") -> F:
    """The next due time of a running clock (the first response while it is awaited,
    else the resolution; the earlier of both), NULL when no clock runs (no policy,
    waiting on the customer, solved or closed): `Ticket.sla_next_due`, which the
    database keeps. `prefix` reaches a ticket through a relation ("tickets__")."""
    return F(f"{prefix}sla_next_due")


def with_sla_due(queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """`sla_due` (see `sla_due_expression`) on each ticket; `sla_missing` sorts NULLs
    last on every database (the SLA column's header sort)."""
    return queryset.annotate(sla_due=sla_due_expression()).annotate(
        sla_missing=Case(When(sla_due__isnull=True, then=Value(1)), default=Value(0), output_field=IntegerField())
    )


def sla_state_q(state: str, now: datetime) -> Q:
    """A filter on the annotated `sla_due` (see `support.sla.sla_state`, the same cut-offs)."""
    soon = now + timedelta(minutes=BREACHING_SOON_MINUTES)
    return {
        "none": Q(sla_due__isnull=True),
        "breached": Q(sla_due__lte=now),
        "near": Q(sla_due__gt=now, sla_due__lte=soon),
        "ok": Q(sla_due__gt=soon),
        "due_soon": Q(sla_due__lte=soon),
    }[state]


def ticket_list_for_user(*, user) -> QuerySet[Ticket]:
    """The list's rows: tickets the user may see, with what the columns show, in
    SLA order (the nearest due time first, no clock last, then the oldest)."""
    queryset = tickets_visible_to(user).select_related("customer", "queue", "assignee")
    return with_sla_due(queryset).order_by(*SLA_ORDER)


def ticket_search(queryset: QuerySet[Ticket], query: str, *, notes: bool) -> QuerySet[Ticket]:
    """Every word matches the subject, the customer's email or a message body; a
    number ("#123" or "123") also finds that ticket. `notes`: search internal notes too
    (never for someone who reads tickets without working them)."""
    reference = query.strip().removeprefix("#")
    by_number = Q(pk=int(reference)) if reference.isdigit() and len(reference) < 10 else Q(pk__in=[])
    messages = TicketMessage.objects.filter(ticket=OuterRef("pk"))
    if not notes:
        messages = messages.filter(kind=TicketMessage.Kind.PUBLIC)
    words = query.split()[:5]
    if not words:
        return queryset
    text = Q()
    for word in words:
        in_body = Q(Exists(messages.filter(body__icontains=word)))
        text &= Q(subject__icontains=word) | Q(customer__email__icontains=word) | in_body
    return queryset.filter(by_number | text)


# --- the agent's home -----------------------------------------------------------------
@dataclass(frozen=True)
class HomeCardData:
    key: str  # assigned, unassigned, breaching
    count: int
    tickets: list[Ticket]
    list_query: str  # the ticket list's filters for "see all"


def agent_home(*, user) -> list[HomeCardData]:
    """Assigned to me, unassigned in my queues, breaching soon: counts in one query,
    then a few rows each, the nearest SLA due time first."""
    now = timezone.now()
    unsolved = with_sla_due(tickets_visible_to(user).filter(status__in=Ticket.UNSOLVED_STATUSES))
    mine = Q(assignee=user)
    unassigned = Q(assignee__isnull=True, queue__in=queues_for_user(user).values("pk"))
    breaching = sla_state_q("due_soon", now)
    counts = unsolved.aggregate(
        assigned=Count("pk", filter=mine),
        unassigned=Count("pk", filter=unassigned),
        breaching=Count("pk", filter=breaching),
    )
    rows = unsolved.select_related("customer", "queue", "assignee").order_by(*SLA_ORDER)
    return [
        HomeCardData("assigned", counts["assigned"], list(rows.filter(mine)[:CARD_ROWS]), f"assignee={user.pk}"),
        HomeCardData("unassigned", counts["unassigned"], list(rows.filter(unassigned)[:CARD_ROWS]), "assignee=null"),
        HomeCardData("breaching", counts["breaching"], list(rows.filter(breaching)[:CARD_ROWS]), "sla=due_soon"),
    ]


def support_backlog(*, user) -> QuerySet[Queue]:
    """The manager's card: the active queues they oversee, each with its unsolved,
    unassigned and breached tickets (one grouped query)."""
    unsolved = Q(tickets__status__in=Ticket.UNSOLVED_STATUSES)
    breached = LessThanOrEqual(sla_due_expression("tickets__"), Value(timezone.now()))
    return (
        Queue.objects.filter(pk__in=queues_for_user(user).values("pk"), is_active=True)
        .annotate(
            unsolved=Count("tickets", filter=unsolved),
            unassigned=Count("tickets", filter=unsolved & Q(tickets__assignee__isnull=True)),
            breached=Count("tickets", filter=Q(breached)),
        )
        .order_by("name")
    )


# --- the customer's support panel ----------------------------------------------------
@dataclass(frozen=True)
class CustomerSupport:
    open_count: int
    breaches: int
    total: int
    open_tickets: list[Ticket]
    last_csat: CsatSurvey | None


def customer_support_for_user(*, user, customer) -> CustomerSupport:
    """The customer's tickets the viewer may see: how many are open, how many
    missed a target (answered or solved late, or overdue now), the open ones
    (nearest SLA first) and the last answered survey. At most three queries."""
    now = timezone.now()
    tickets = with_sla_due(tickets_visible_to(user).filter(customer=customer))
    late = (
        Q(first_responded_at__gt=F("first_response_due")) | Q(solved_at__gt=F("resolution_due")) | Q(sla_due__lte=now)
    )
    counts = tickets.aggregate(
        total=Count("pk"),
        open=Count("pk", filter=Q(status__in=Ticket.UNSOLVED_STATUSES)),
        breaches=Count("pk", filter=late),
    )
    # A customer without (visible) tickets costs the one query above.
    open_tickets = []
    if counts["open"]:
        open_tickets = list(
            tickets.filter(status__in=Ticket.UNSOLVED_STATUSES)
            .select_related("queue", "assignee")
            .order_by(*SLA_ORDER)[:CARD_ROWS]
        )
    last_csat = None
    if counts["total"]:
        answered = CsatSurvey.objects.filter(ticket__in=tickets.values("pk"), answered_at__isnull=False)
        last_csat = answered.order_by("-answered_at", "-pk").first()
    return CustomerSupport(
        open_count=counts["open"],
        breaches=counts["breaches"],
        total=counts["total"],
        open_tickets=open_tickets,
        last_csat=last_csat,
    )


# --- the agent's "New ticket" form ------------------------------------------------------
CUSTOMER_MATCHES = 8


def customer_matches_for_user(*, user, query: str) -> list[Customer]:
    """Customers the user may see matching the query (name, email, phone, company), for
    picking the customer of a new ticket; nothing below two characters."""
    if len(query.strip()) < 2:
        return []
    visible = Customer.objects.visible_to(user).select_related("company").order_by()
    return list(customer_search(visible, query)[:CUSTOMER_MATCHES])
