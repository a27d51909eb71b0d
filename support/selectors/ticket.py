"""Reads of the ticket page: the thread, its history, the side cards. The ticket
itself always comes from `tickets.ticket_get_for_user`; every other ticket shown
here (the customer's open tickets) from `tickets.tickets_visible_to`."""

import re
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from accounts.models import User
from analytics.selectors.rfm import rfm_customer_history
from crm_project.text import sanitise_html
from customers.models import Tag
from sales.selectors.orders import customer_order_totals, customer_orders_recent

from .. import sla
from ..events import event_sentence
from ..models import (
    CsatSurvey,
    KbArticle,
    Macro,
    OutboundEmail,
    Queue,
    Ticket,
    TicketEvent,
    TicketMessage,
    TicketPresence,
)
from .tickets import ticket_messages_for_user, tickets_visible_to

PRESENCE_WINDOW = timedelta(seconds=30)
# A clock this close to its due time shows as "near" (amber).
SLA_WARN_MINUTES = 60
KB_SUGGESTIONS = 5
OPEN_TICKETS_SHOWN = 5
# Words too short or too common to say what a ticket is about.
STOP_WORDS = frozenset(
    "about after again also and are but can cannot does for from have help how into its not our please "
    "that the their them then there this was what when where which why will with would you your".split()
)


# --- the thread ---------------------------------------------------------------------------
def thread_for_user(*, user, ticket: Ticket) -> list[TicketMessage]:
    """The messages the user may read (no internal notes for a sales rep), each with its
    attachments and its undelivered mails: three queries however long the thread."""
    failed = OutboundEmail.objects.filter(status=OutboundEmail.Status.FAILED).order_by("pk")
    messages: list[TicketMessage] = list(
        ticket_messages_for_user(user=user, ticket=ticket).prefetch_related(
            Prefetch("outbound_emails", queryset=failed, to_attr="failed_mails")
        )
    )
    for message in messages:
        setattr(message, "safe_html", _sanitised(message.body_html))  # noqa: B010 - a display-only attribute
    return messages


def _sanitised(html: str) -> SafeString | None:
    # Ingest stored it sanitised already; cleaning again on the way out costs little
    # and keeps a row written by any other path from reaching the page raw.
    return mark_safe(sanitise_html(html)) if html else None  # noqa: S308 - nh3's output is safe markup


def undelivered_ticket_mails(*, ticket: Ticket) -> QuerySet[OutboundEmail]:
    """Failed mails not tied to a message (acknowledgements, surveys, fresh links)."""
    return ticket.outbound_emails.filter(status=OutboundEmail.Status.FAILED, ticket_message__isnull=True)


@dataclass
class HistoryEntry:
    event: TicketEvent
    sentence: str


def ticket_history(*, ticket: Ticket) -> list[HistoryEntry]:
    events = ticket.events.select_related("actor").order_by("-created_at", "-pk")
    return [HistoryEntry(event, event_sentence(event)) for event in events]


@dataclass
class SlaClock:
    label: str
    text: str
    state: str  # support.sla.sla_state: ok, near, breached; "paused" while pending


def sla_clocks(*, ticket: Ticket, now=None) -> list[SlaClock]:
    """The countdowns still running on an unsolved ticket (none without a policy)."""
    if not ticket.is_unsolved:
        return []
    now = now or timezone.now()
    clocks = []
    if ticket.first_responded_at is None and ticket.first_response_due:
        clocks.append((_("First response"), ticket.first_response_due))
    if ticket.resolution_due:
        clocks.append((_("Resolution"), ticket.resolution_due))
    if ticket.sla_paused_at:
        return [SlaClock(str(label), _("paused while waiting on the customer"), "paused") for label, _due in clocks]
    return [
        SlaClock(str(label), sla.format_remaining(due, now), sla.sla_state(due, now, SLA_WARN_MINUTES))
        for label, due in clocks
    ]


# --- controls -----------------------------------------------------------------------------
def assignable_agents(*, ticket: Ticket) -> QuerySet[User]:
    """The agents of the ticket's queue (and the current assignee, whoever they are)."""
    q = Q(support_queues=ticket.queue_id, is_active=True)
    if ticket.assignee_id:
        q |= Q(pk=ticket.assignee_id)
    return User.objects.filter(q).distinct().order_by("first_name", "last_name", "username")


def queue_choices() -> QuerySet[Queue]:
    """Any active queue: handing a ticket over to another team is part of working it."""
    return Queue.objects.filter(is_active=True)


def tag_choices() -> QuerySet[Tag]:
    return Tag.objects.all()


def macros_for(*, ticket: Ticket) -> QuerySet[Macro]:
    """Active macros of the ticket's queue and the global ones."""
    return Macro.objects.filter(Q(queue=ticket.queue_id) | Q(queue__isnull=True), is_active=True)


# --- "also viewing / replying" ------------------------------------------------------------
def presence_others(*, ticket: Ticket, user) -> list[TicketPresence]:
    since = timezone.now() - PRESENCE_WINDOW
    return list(
        TicketPresence.objects.filter(ticket=ticket, seen_at__gte=since)
        .exclude(user=user)
        .select_related("user")
        .order_by("user__first_name", "user__username")
    )


# --- knowledge base -----------------------------------------------------------------------
@dataclass
class Suggestion:
    article: KbArticle
    url: str
    public_url: str | None  # what "insert link" adds to a reply; None for agents-only articles


def kb_suggestions(*, ticket: Ticket, limit: int = KB_SUGGESTIONS) -> list[Suggestion]:
    """Published articles whose title or text has a word of the subject."""
    words = subject_words(ticket.subject)
    if not words:
        return []
    q = Q()
    for word in words:
        q |= Q(title__icontains=word) | Q(body__icontains=word)
    articles = KbArticle.objects.filter(q, status=KbArticle.Status.PUBLISHED).order_by("-helpful_yes", "title")
    return [_suggestion(article) for article in articles[:limit]]


def subject_words(subject: str) -> list[str]:
    words = {w.lower() for w in re.findall(r"\w+", subject) if len(w) >= 4 and not w.isdigit()}
    return sorted(words - STOP_WORDS)[:8]


def _suggestion(article: KbArticle) -> Suggestion:
    # The knowledge-base pages are another part of the app: link to their URL name when
    # it exists, else to the public path they are planned at.
    public_path = f"/help/articles/{article.slug}/"
    try:
        url = reverse("support:kb-article", args=[article.slug])
    except NoReverseMatch:
        url = public_path
    public_url = f"{settings.CRM_SITE_URL}{public_path}" if article.is_public else None
    return Suggestion(article=article, url=url, public_url=public_url)


# --- the customer card --------------------------------------------------------------------
@dataclass
class CustomerSummary:
    orders: int
    last_order: object | None
    segment: object | None
    open_tickets: list[Ticket]
    open_tickets_more: bool
    last_csat: CsatSurvey | None


def customer_summary(*, user, ticket: Ticket) -> CustomerSummary:
    """Orders through sales' selectors and RFM through analytics', both in the viewer's
    scope; other open tickets only through the ticket access helper."""
    customer = ticket.customer
    last_orders = customer_orders_recent(user=user, customer=customer, limit=1)
    history = rfm_customer_history(customer)
    others = list(
        tickets_visible_to(user)
        .filter(customer=customer, status__in=Ticket.UNSOLVED_STATUSES)
        .exclude(pk=ticket.pk)
        .order_by("-created_at", "-pk")
        .only("pk", "subject", "status", "created_at")[: OPEN_TICKETS_SHOWN + 1]
    )
    last_csat = (
        CsatSurvey.objects.filter(ticket__customer=customer, score__isnull=False)
        .order_by("-answered_at", "-pk")
        .only("score", "answered_at", "ticket_id")
        .first()
    )
    return CustomerSummary(
        orders=customer_order_totals(user=user, customer=customer).orders,
        last_order=last_orders[0] if last_orders else None,
        segment=history[0] if history else None,
        open_tickets=others[:OPEN_TICKETS_SHOWN],
        open_tickets_more=len(others) > OPEN_TICKETS_SHOWN,
        last_csat=last_csat,
    )
