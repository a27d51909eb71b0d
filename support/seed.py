"""Demo support data for seed_demo ("support.seed.seed_demo"): bulk, deterministic, idempotent.

Queues General, Billing and Technical with the demo agents as members (North
oversees General and Billing, South Technical), office hours with a holiday, an
SLA policy per priority, two escalation rules, macros, a knowledge base
(published public and internal articles, a draft) and a few hundred tickets of
the last 60 days in every status, with their threads (replies and internal
notes), events, SLA clocks (some breached, some near) and answered surveys.
"""

import random
from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from accounts import roles
from accounts.models import Team, User
from customers import timeline
from customers.models import Customer, Interaction

from . import sla
from .models import (
    BusinessCalendar,
    CsatSurvey,
    Holiday,
    KbArticle,
    KbCategory,
    Macro,
    Queue,
    SlaPolicy,
    SlaRule,
    Ticket,
    TicketEvent,
    TicketMessage,
)
from .services.clock import calendar_from_row

TICKETS = 300
DAYS = 60
BATCH = 1000
# priority: (first response, resolution) in business minutes
TARGETS = {"urgent": (30, 240), "high": (60, 480), "normal": (240, 1440), "low": (480, 2880)}
STATUS_WEIGHTS = {"new": 10, "open": 18, "pending": 10, "on_hold": 5, "solved": 35, "closed": 22}
SUBJECTS = {
    "general": ["Question about my account", "How do I change my address?", "Feedback on your service"],
    "billing": ["Invoice shows the wrong amount", "Refund not received", "Charged twice this month", "VAT number"],
    "technical": ["Cannot log in", "App crashes on start", "Export is empty", "Sync stopped working"],
}
REPLIES = [
    "Thanks for getting in touch. I have looked into it and fixed the issue on our side.",
    "Could you send us a screenshot of what you see? That will help us find the cause.",
    "We have forwarded this to the right team and will get back to you shortly.",
]
NOTES = ["Checked the logs: looks like the known sync bug.", "Customer is a VIP, handle with care.", "Asked billing."]


@transaction.atomic
def seed_demo(*, customers: int, stdout) -> None:
    agents = list(User.objects.filter(groups__name=roles.SUPPORT_AGENT).order_by("username"))
    calendar = _calendar()
    queues = _queues(agents, calendar)
    _policies_rules_and_macros()
    _knowledge_base()
    if Ticket.objects.exists():
        stdout.write("Tickets already exist; not adding demo tickets.")
        return
    people = list(Customer.objects.order_by("pk").values_list("pk", "company_id", "email")[:TICKETS])
    if not people:
        return
    count = _tickets(random.Random(13), queues, agents, people, calendar_from_row(calendar))  # noqa: S311 - demo data
    stdout.write(f"Created {count} demo tickets in {len(queues)} queues, with threads and surveys.")


def _calendar() -> BusinessCalendar:
    calendar = BusinessCalendar.objects.get_or_create(
        name="Office hours", defaults={"weekly_hours": {str(day): [["09:00", "17:00"]] for day in range(5)}}
    )[0]
    today = timezone.localdate()
    new_year = date(today.year + 1, 1, 1)
    Holiday.objects.get_or_create(calendar=calendar, date=new_year, defaults={"name": "New Year's Day"})
    return calendar


def _queues(agents: list[User], calendar: BusinessCalendar) -> dict[str, Queue]:
    teams = {team.name: team for team in Team.objects.filter(name__in=["North", "South"])}
    specs = [("general", "General", "North"), ("billing", "Billing", "North"), ("technical", "Technical", "South")]
    queues = {}
    for slug, name, team in specs:
        queue = Queue.objects.get_or_create(slug=slug, defaults={"name": name, "calendar": calendar})[0]
        if queue.team_id is None and team in teams:
            queue.team = teams[team]
            queue.save(update_fields=["team"])
        queue.members.add(*agents)
        queues[slug] = queue
    return queues


def _policies_rules_and_macros() -> None:
    for priority, (first, resolution) in TARGETS.items():
        SlaPolicy.objects.get_or_create(
            name=f"{priority.capitalize()} priority",
            defaults={"priority": priority, "first_response_minutes": first, "resolution_minutes": resolution},
        )
    SlaRule.objects.get_or_create(
        name="First response due soon",
        defaults={"when": "near", "target": "first_response", "minutes_before": 30, "action": "notify"},
    )
    SlaRule.objects.get_or_create(
        name="Resolution overdue: raise priority",
        defaults={"when": "breach", "target": "resolution", "action": "raise_priority"},
    )
    macros = [
        ("Solved, thanks", "Hi {{ customer.first_name }}, glad we could help: #{{ ticket.id }} is solved.", "solved"),
        ("Need more details", "Hi {{ customer.first_name }}, could you tell us a bit more?", "pending"),
        ("Take it", "", ""),
    ]  # fmt: skip
    for name, body, status in macros:
        Macro.objects.get_or_create(
            name=name, defaults={"body": body, "set_status": status, "assign_to_me": name == "Take it"}
        )


def _knowledge_base() -> None:
    if KbCategory.objects.exists():
        return
    categories = {
        slug: KbCategory.objects.create(name=name, slug=slug, position=index)
        for index, (slug, name) in enumerate([("getting-started", "Getting started"), ("billing", "Billing")])
    }
    articles = [
        ("getting-started", "Resetting your password", "published", "public"),
        ("getting-started", "Setting up your account", "published", "public"),
        ("billing", "Reading your invoice", "published", "public"),
        ("billing", "Refunds: how long they take", "published", "public"),
        ("billing", "Issuing a credit note (agents)", "published", "internal"),
        ("getting-started", "Two-factor sign-in", "draft", "public"),
    ]
    KbArticle.objects.bulk_create(
        KbArticle(
            category=categories[category],
            title=title,
            slug=title.lower().replace(" ", "-").replace(":", "").replace("(", "").replace(")", ""),
            body=f"<p>{title}: step by step.</p><ol><li>Open the page.</li><li>Follow the steps.</li></ol>",
            status=status,
            visibility=visibility,
        )
        for category, title, status, visibility in articles
    )


def _tickets(rng, queues, agents, people, calendar) -> int:
    now = timezone.now()
    tickets = [_ticket(rng, queues, agents, person, calendar, now) for person in _repeat(people, TICKETS)]
    Ticket.objects.bulk_create(tickets, batch_size=BATCH)
    messages, events, surveys, entries = [], [], [], []
    for ticket, (_pk, company_id, _email) in zip(tickets, _repeat(people, TICKETS), strict=True):
        messages += _thread(rng, ticket)
        events += _events(ticket)
        entries += _timeline(ticket, company_id)
        if ticket.status in ("solved", "closed") and rng.random() < 0.7:
            surveys.append(_survey(rng, ticket))
    TicketMessage.objects.bulk_create(messages, batch_size=BATCH)
    TicketEvent.objects.bulk_create(events, batch_size=BATCH)
    CsatSurvey.objects.bulk_create(surveys, batch_size=BATCH)
    Interaction.objects.bulk_create(entries, batch_size=BATCH)
    return len(tickets)


def _repeat(people: list, count: int) -> list:
    return [people[index % len(people)] for index in range(count)]


def _ticket(rng, queues, agents, person, calendar, now: datetime) -> Ticket:
    slug = rng.choice(list(queues))
    status = rng.choices(list(STATUS_WEIGHTS), weights=list(STATUS_WEIGHTS.values()))[0]
    priority = rng.choices(list(TARGETS), weights=(1, 3, 8, 3))[0]
    # Unsolved tickets are recent (so some are near breach, some past it); solved ones spread over the window.
    age = timedelta(minutes=rng.randint(5, 3 * 1440 if status in ("new", "open", "on_hold") else DAYS * 1440))
    created = now - age
    first, resolution = TARGETS[priority]
    ticket = Ticket(
        subject=rng.choice(SUBJECTS[slug]),
        customer_id=person[0],
        queue=queues[slug],
        team_id=queues[slug].team_id,
        priority=priority,
        status=status,
        channel=rng.choice(Ticket.Channel.values),
        assignee=rng.choice(agents) if agents and (status != "new" or rng.random() < 0.3) else None,
        created_at=created,
        last_customer_message_at=created,
        first_response_due=sla.add_business_minutes(created, first, calendar),
        resolution_due=sla.add_business_minutes(created, resolution, calendar),
    )
    if status != "new":
        answered = min(now, created + timedelta(minutes=rng.randint(10, 600)))
        ticket.first_responded_at = answered
        ticket.first_response_minutes = sla.business_minutes_between(created, answered, calendar)
    if status == "pending":
        ticket.sla_paused_at = min(now, (ticket.first_responded_at or created) + timedelta(minutes=5))
    if status in ("solved", "closed"):
        solved = min(now, created + timedelta(minutes=rng.randint(60, 4 * 1440)))
        ticket.solved_at = solved
        ticket.resolution_minutes = sla.business_minutes_between(created, solved, calendar)
    return ticket


def _thread(rng, ticket: Ticket) -> list[TicketMessage]:
    created = ticket.created_at
    messages = [
        TicketMessage(
            ticket=ticket,
            from_customer=True,
            body=f"Hello, {ticket.subject.lower()}. Can you help?",
            created_at=created,
        )
    ]
    if ticket.first_responded_at:
        author = ticket.assignee
        if rng.random() < 0.4:
            note = created + (ticket.first_responded_at - created) / 2
            messages.append(
                TicketMessage(ticket=ticket, kind="internal", author=author, body=rng.choice(NOTES), created_at=note)
            )
        messages.append(
            TicketMessage(ticket=ticket, author=author, body=rng.choice(REPLIES), created_at=ticket.first_responded_at)
        )
        if ticket.status in ("open", "solved", "closed") and rng.random() < 0.5:
            later = ticket.first_responded_at + timedelta(minutes=30)
            messages.append(
                TicketMessage(ticket=ticket, from_customer=True, body="Thanks, that worked.", created_at=later)
            )
    return messages


def _events(ticket: Ticket) -> list[TicketEvent]:
    events = [TicketEvent(ticket=ticket, action="created", new_value="new", data={"channel": ticket.channel},
                          created_at=ticket.created_at)]  # fmt: skip
    if ticket.first_responded_at is not None:
        events.append(
            TicketEvent(ticket=ticket, action="replied", actor=ticket.assignee, created_at=ticket.first_responded_at)
        )
        moment = ticket.solved_at or ticket.first_responded_at
        events.append(
            TicketEvent(
                ticket=ticket, action="status", old_value="new", new_value=ticket.status, actor=ticket.assignee,
                created_at=moment,
            )
        )  # fmt: skip
    return events


def _timeline(ticket: Ticket, company_id: int | None) -> list[Interaction]:
    data = {"ticket": ticket.pk, "subject": ticket.subject}
    moments = [("ticket.opened", ticket.created_at)]
    if ticket.solved_at:
        moments.append(("ticket.solved", ticket.solved_at))
    return [
        Interaction(
            customer_id=ticket.customer_id, company_id=company_id, kind=Interaction.Kind.SYSTEM, action=action,
            summary=timeline.summary(action=action, data=data), data=data, occurred_at=moment,
        )
        for action, moment in moments
    ]  # fmt: skip


def _survey(rng, ticket: Ticket) -> CsatSurvey:
    score = rng.choices([1, 2, 3, 4, 5], weights=(1, 1, 2, 5, 8))[0]
    assert ticket.solved_at is not None  # noqa: S101 - only solved tickets are surveyed
    answered = ticket.solved_at + timedelta(hours=rng.randint(1, 48))
    return CsatSurvey(
        ticket=ticket,
        agent=ticket.assignee,
        queue=ticket.queue,
        sent_at=ticket.solved_at,
        score=score,
        comment="Quick and friendly." if score >= 4 else "",
        answered_at=min(answered, timezone.now()),
    )
