"""Support: queues, tickets and their threads, SLAs, email in and out, the
knowledge base and satisfaction surveys.

Tickets are read only through `support.selectors.tickets.ticket_get_for_user`
and `Ticket.objects.visible_to(user)` (see `TicketQuerySet`); configuration
(queues, calendars, policies, rules, macros, mailboxes) keeps its history.
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Case, F, Q, When
from django.db.models.functions import Coalesce, Least
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import roles
from accounts.history import ConfigHistory
from crm_project.access import user_team_ids
from crm_project.versioning import VersionedModel


class BusinessCalendar(models.Model):
    """Working hours for SLA clocks. `weekly_hours` maps a weekday ("0" is
    Monday) to its working intervals in local time, e.g.
    {"0": [["09:00", "17:00"]], …}; a missing day has no working time.
    See `support.sla.Calendar.from_spec`."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default=settings.TIME_ZONE)
    weekly_hours = models.JSONField(_("weekly hours"), default=dict)

    history = ConfigHistory()

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Holiday(models.Model):
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=100, blank=True)

    history = ConfigHistory()

    class Meta:
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="holiday_once_per_day")]

    def __str__(self) -> str:
        return f"{self.date} {self.name}".strip()


class Queue(models.Model):
    """Where tickets wait. Its `members` are the agents who work it; the
    managers of its `team` oversee it."""

    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=50, unique=True)
    team = models.ForeignKey(
        "accounts.Team", verbose_name=_("team"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("agents"), related_name="support_queues", blank=True
    )
    inbound_address = models.EmailField(
        _("inbound address"), blank=True, help_text=_("Mail sent to this address opens tickets in this queue.")
    )
    auto_acknowledge = models.BooleanField(
        _("acknowledge new tickets"), default=True, help_text=_("Send the customer a receipt with their link.")
    )
    calendar = models.ForeignKey(
        BusinessCalendar, verbose_name=_("business hours"), on_delete=models.PROTECT, null=True, blank=True
    )
    is_active = models.BooleanField(_("active"), default=True)

    history = ConfigHistory(m2m_fields=["members"])

    class Meta:
        verbose_name = _("queue")
        verbose_name_plural = _("queues")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


# Raising a ticket's priority moves it one step along this order.
PRIORITY_ORDER = [Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.URGENT]


class SlaPolicy(models.Model):
    """Targets for one priority, optionally only in one queue and/or for
    customers with one tag (a tier such as VIP). The most specific active
    policy wins; no match means the ticket has no clock."""

    name = models.CharField(_("name"), max_length=100)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority)
    queue = models.ForeignKey(Queue, verbose_name=_("queue"), on_delete=models.CASCADE, null=True, blank=True)
    customer_tag = models.ForeignKey(
        "customers.Tag", verbose_name=_("customer tag"), on_delete=models.CASCADE, null=True, blank=True
    )
    first_response_minutes = models.PositiveIntegerField(_("first response within (business minutes)"), null=True)
    resolution_minutes = models.PositiveIntegerField(_("resolution within (business minutes)"), null=True)
    is_active = models.BooleanField(_("active"), default=True)

    history = ConfigHistory()

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["priority", "name"]

    def __str__(self) -> str:
        return self.name


class TicketQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Those who work tickets (see `workable_by`), and sales reps: the tickets of
        customers they may see (read-only, public messages only)."""
        if not user.is_authenticated:
            return self.none()
        workable = self._workable_q(user)
        if workable is None:
            return self
        if roles.is_sales_rep(user):
            from customers.models import Customer

            workable |= Q(customer__in=Customer.objects.visible_to(user).values("pk"))
        return self.filter(workable)

    def workable_by(self, user):
        """Tickets the user may answer and change. Agents: those of the queues they are
        members of. Managers: also their teams' queues (all with CRM_SCOPE_MANAGER="all").
        Admins: all."""
        if not user.is_authenticated:
            return self.none()
        workable = self._workable_q(user)
        return self if workable is None else self.filter(workable)

    def _workable_q(self, user) -> Q | None:
        """The filter for `workable_by`, or None for "every ticket"."""
        if roles.is_admin(user):  # before reading roles: admins cost no query
            return None
        user_roles = roles.roles_of(user)
        if roles.MANAGER in user_roles and settings.CRM_SCOPE_MANAGER == "all":
            return None
        q = Q(pk__in=[])
        if roles.SUPPORT_AGENT in user_roles or roles.MANAGER in user_roles:
            q |= Q(queue__in=Queue.objects.filter(members=user).values("pk"))
        if roles.MANAGER in user_roles:
            q |= Q(queue__team__in=sorted(user_team_ids(user)))
        return q


_CLOCK_STATUSES = ["new", "open", "on_hold"]
_UNSOLVED_STATUSES = ["new", "on_hold", "open", "pending"]


def _sla_next_due() -> Case:
    """The next due time of a running clock: the first response while it is awaited,
    else the resolution (the earlier of both); NULL when no clock runs (no policy,
    paused while waiting on the customer, solved or closed). Both Coalesces because
    SQLite's LEAST is NULL when either side is."""
    first = Case(When(first_responded_at__isnull=True, then=F("first_response_due")))
    due = Least(Coalesce(first, F("resolution_due")), Coalesce(F("resolution_due"), first))
    return Case(When(Q(status__in=_CLOCK_STATUSES, sla_paused_at__isnull=True), then=due))


class Ticket(VersionedModel):
    class Status(models.TextChoices):
        NEW = "new", _("New")
        OPEN = "open", _("Open")
        PENDING = "pending", _("Pending (waiting on the customer)")
        ON_HOLD = "on_hold", _("On hold")
        SOLVED = "solved", _("Solved")
        CLOSED = "closed", _("Closed")

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        WEB = "web", _("Web form")
        PHONE = "phone", _("Phone")
        AGENT = "agent", _("Agent")

    # Statuses whose SLA clocks run; `pending` pauses them, solved/closed stop them.
    OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.ON_HOLD)
    UNSOLVED_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD)

    subject = models.CharField(_("subject"), max_length=255)
    customer = models.ForeignKey(
        "customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="tickets"
    )
    queue = models.ForeignKey(Queue, verbose_name=_("queue"), on_delete=models.PROTECT, related_name="tickets")
    priority = models.CharField(_("priority"), max_length=10, choices=Priority, default=Priority.NORMAL)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.NEW)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_tickets",
    )
    team = models.ForeignKey(
        "accounts.Team", verbose_name=_("team"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel, default=Channel.EMAIL)
    tags = models.ManyToManyField("customers.Tag", verbose_name=_("tags"), blank=True, related_name="tickets")
    merged_into = models.ForeignKey(
        "self", verbose_name=_("merged into"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    last_customer_message_at = models.DateTimeField(_("last customer message"), null=True, blank=True)
    first_responded_at = models.DateTimeField(_("first response"), null=True, blank=True)
    solved_at = models.DateTimeField(_("solved"), null=True, blank=True)

    # The SLA clock, stored on the row so lists sort and escalation selects by index.
    sla_policy = models.ForeignKey(
        SlaPolicy, verbose_name=_("SLA policy"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    first_response_due = models.DateTimeField(_("first response due"), null=True, blank=True)
    resolution_due = models.DateTimeField(_("resolution due"), null=True, blank=True)
    sla_paused_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Business minutes from creation to the first response and to the solve.
    first_response_minutes = models.PositiveIntegerField(null=True, blank=True, editable=False)
    resolution_minutes = models.PositiveIntegerField(null=True, blank=True, editable=False)
    # Computed by the database from the columns above on every write (services, bulk
    # UPDATEs, raw SQL alike), so the lists' "nearest due first" walks an index and
    # stops after a page instead of sorting every open ticket of a queue.
    sla_next_due = models.GeneratedField(
        expression=_sla_next_due(), output_field=models.DateTimeField(null=True), db_persist=True
    )

    objects = TicketQuerySet.as_manager()

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["queue", "status", "resolution_due"], name="ticket_queue_status_idx"),
            models.Index(fields=["assignee", "status", "resolution_due"], name="ticket_assignee_idx"),
            models.Index(fields=["customer", "status"], name="ticket_customer_idx"),
            models.Index(
                fields=["first_response_due"],
                name="ticket_first_due_idx",
                condition=Q(first_responded_at__isnull=True, status__in=["new", "open", "on_hold"]),
            ),
            models.Index(
                fields=["resolution_due"],
                name="ticket_resolution_due_idx",
                condition=Q(status__in=["new", "open", "on_hold"]),
            ),
            models.Index(fields=["-created_at", "-id"], name="ticket_created_idx"),
            # The lists' default order (nearest running clock first, then the oldest) over
            # unsolved tickets, their default filter.
            models.Index(
                fields=["sla_next_due", "created_at", "id"],
                name="ticket_sla_next_due_idx",
                condition=Q(status__in=_UNSOLVED_STATUSES),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    @property
    def reference(self) -> str:
        return f"#{self.pk}"

    @property
    def is_unsolved(self) -> bool:
        return self.status in self.UNSOLVED_STATUSES


class TicketMessage(models.Model):
    class Kind(models.TextChoices):
        PUBLIC = "public", _("Reply")
        INTERNAL = "internal", _("Internal note")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind, default=Kind.PUBLIC)
    # An agent's message has an author; a customer's has only the address it came from.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.SET_NULL, null=True, blank=True
    )
    from_customer = models.BooleanField(default=False)
    from_address = models.EmailField(blank=True)
    from_name = models.CharField(max_length=200, blank=True)
    body = models.TextField(_("message"))
    # The sanitised HTML of an inbound mail, if it had one; `body` is its text.
    body_html = models.TextField(blank=True)
    quoted_text = models.TextField(blank=True)
    message_id = models.CharField(max_length=255, blank=True)
    in_reply_to = models.CharField(max_length=255, blank=True)
    references = models.TextField(blank=True)
    created_at = models.DateTimeField(_("sent"), default=timezone.now)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="ticketmessage_ticket_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["message_id"], condition=~Q(message_id=""), name="ticketmessage_message_id_unique"
            )
        ]

    def __str__(self) -> str:
        return self.body[:60]

    @property
    def is_internal(self) -> bool:
        return self.kind == self.Kind.INTERNAL


class TicketEvent(models.Model):
    """Every change to a ticket: who, what, old → new. `action` is a code;
    `support.timeline` renders it in the reader's language."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    action = models.CharField(max_length=40)
    old_value = models.CharField(max_length=255, blank=True)
    new_value = models.CharField(max_length=255, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="ticketevent_ticket_idx")]

    def __str__(self) -> str:
        return f"{self.action}: {self.old_value} → {self.new_value}"


def ticket_attachment_path(instance, filename):
    # A random stored name: the uploader's file name is only ever shown, never used on disk.
    return f"support/{timezone.now():%Y/%m}/{secrets.token_hex(16)}"


class TicketAttachment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(
        TicketMessage, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to=ticket_attachment_path)
    original_name = models.CharField(_("name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size"))
    content_type = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.original_name


class Mailbox(models.Model):
    """An IMAP mailbox `support_fetch_mail` reads into a queue."""

    class Auth(models.TextChoices):
        PASSWORD = "password", _("Password")
        XOAUTH2 = "xoauth2", _("OAuth2 (Gmail, Microsoft 365)")

    queue = models.ForeignKey(Queue, verbose_name=_("queue"), on_delete=models.CASCADE, related_name="mailboxes")
    host = models.CharField(_("IMAP host"), max_length=200)
    port = models.PositiveIntegerField(_("port"), default=993)
    username = models.CharField(_("username"), max_length=200)
    auth = models.CharField(_("sign-in"), max_length=10, choices=Auth, default=Auth.PASSWORD)
    password = models.CharField(_("password or app password"), max_length=200, blank=True)
    oauth_token_url = models.URLField(_("OAuth2 token URL"), blank=True)
    oauth_client_id = models.CharField(_("OAuth2 client id"), max_length=200, blank=True)
    oauth_client_secret = models.CharField(_("OAuth2 client secret"), max_length=200, blank=True)
    oauth_refresh_token = models.TextField(_("OAuth2 refresh token"), blank=True)
    folder = models.CharField(_("folder"), max_length=100, default="INBOX")
    is_active = models.BooleanField(_("active"), default=True)
    last_fetched_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.TextField(blank=True, editable=False)

    history = ConfigHistory(excluded_fields=["password", "oauth_client_secret", "oauth_refresh_token"])

    class Meta:
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")
        ordering = ["username"]

    def __str__(self) -> str:
        return f"{self.username}@{self.host}"


class InboundEmail(models.Model):
    """Every mail received, raw bytes first, with what became of it."""

    class Outcome(models.TextChoices):
        PENDING = "pending", _("Pending")
        CREATED = "created", _("New ticket")
        APPENDED = "appended", _("Added to a ticket")
        IGNORED = "ignored", _("Ignored (automatic)")
        DUPLICATE = "duplicate", _("Seen before")
        REJECTED = "rejected", _("Rejected")

    raw = models.BinaryField()
    size = models.PositiveIntegerField(default=0)
    message_id = models.CharField(max_length=255, blank=True, db_index=True)
    from_address = models.CharField(max_length=255, blank=True)
    subject = models.CharField(max_length=255, blank=True)
    queue = models.ForeignKey(Queue, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    mailbox = models.ForeignKey(Mailbox, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    source = models.CharField(max_length=10, default="pipe")  # pipe, imap, upload
    received_at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=10, choices=Outcome, default=Outcome.PENDING)
    reason = models.TextField(blank=True)
    ticket = models.ForeignKey(Ticket, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("inbound email")
        verbose_name_plural = _("inbound emails")
        ordering = ["-received_at", "-pk"]

    def __str__(self) -> str:
        return self.subject or self.message_id


class OutboundEmail(models.Model):
    """The outbox: one row per mail to send, sent by an idempotent task."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    class Kind(models.TextChoices):
        REPLY = "reply", _("Reply")
        ACKNOWLEDGEMENT = "ack", _("Acknowledgement")
        LINK = "link", _("Fresh link")
        SURVEY = "survey", _("Satisfaction survey")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="outbound_emails")
    ticket_message = models.ForeignKey(
        TicketMessage, on_delete=models.SET_NULL, null=True, blank=True, related_name="outbound_emails"
    )
    kind = models.CharField(max_length=10, choices=Kind, default=Kind.REPLY)
    to_address = models.EmailField()
    subject = models.CharField(max_length=255)
    message_id = models.CharField(max_length=255)
    headers = models.JSONField(default=dict, blank=True)
    body = models.TextField()
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.QUEUED)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("outbound email")
        verbose_name_plural = _("outbound emails")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["status", "created_at"], name="outbound_status_idx")]

    def __str__(self) -> str:
        return f"{self.to_address}: {self.subject}"


class SlaRule(models.Model):
    """What happens near or at a breach. Each (ticket, rule) fires once."""

    class When(models.TextChoices):
        NEAR_BREACH = "near", _("Near breach")
        BREACH = "breach", _("Breached")

    class Target(models.TextChoices):
        FIRST_RESPONSE = "first_response", _("First response")
        RESOLUTION = "resolution", _("Resolution")

    class Action(models.TextChoices):
        NOTIFY = "notify", _("Notify the assignee and the queue's managers")
        REASSIGN = "reassign", _("Reassign")
        RAISE_PRIORITY = "raise_priority", _("Raise the priority")

    name = models.CharField(_("name"), max_length=100)
    when = models.CharField(_("when"), max_length=10, choices=When)
    target = models.CharField(_("clock"), max_length=20, choices=Target)
    minutes_before = models.PositiveIntegerField(
        _("minutes before the due time"), default=30, help_text=_("For near-breach rules.")
    )
    action = models.CharField(_("action"), max_length=20, choices=Action)
    queue = models.ForeignKey(Queue, verbose_name=_("queue"), on_delete=models.CASCADE, null=True, blank=True)
    reassign_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reassign to"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    is_active = models.BooleanField(_("active"), default=True)

    history = ConfigHistory()

    class Meta:
        verbose_name = _("escalation rule")
        verbose_name_plural = _("escalation rules")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SlaRuleFiring(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    rule = models.ForeignKey(SlaRule, on_delete=models.CASCADE, related_name="+")
    fired_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ticket", "rule"], name="sla_rule_fires_once")]

    def __str__(self) -> str:
        return f"{self.rule_id} → #{self.ticket_id}"


class Macro(models.Model):
    """A saved reply with placeholders ({{ customer.first_name }}, {{ ticket.id }})
    and optional actions applied with it."""

    name = models.CharField(_("name"), max_length=100)
    body = models.TextField(_("reply"), blank=True)
    queue = models.ForeignKey(
        Queue,
        verbose_name=_("queue"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        help_text=_("Empty: offered in every queue."),
    )
    set_status = models.CharField(_("set status"), max_length=10, choices=Ticket.Status, blank=True)
    assign_to_me = models.BooleanField(_("assign to me"), default=False)
    add_tags = models.ManyToManyField("customers.Tag", verbose_name=_("add tags"), blank=True, related_name="+")
    is_active = models.BooleanField(_("active"), default=True)

    history = ConfigHistory(m2m_fields=["add_tags"])

    class Meta:
        verbose_name = _("macro")
        verbose_name_plural = _("macros")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TicketPresence(models.Model):
    """Who has a ticket open right now ("also viewing / replying")."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    replying = models.BooleanField(default=False)
    seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ticket", "user"], name="ticket_presence_once")]

    def __str__(self) -> str:
        return f"{self.user_id} on #{self.ticket_id}"


class KbCategory(models.Model):
    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    history = ConfigHistory()

    class Meta:
        verbose_name = _("knowledge-base category")
        verbose_name_plural = _("knowledge-base categories")
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class KbArticle(VersionedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    class Visibility(models.TextChoices):
        PUBLIC = "public", _("Public")
        INTERNAL = "internal", _("Agents only")

    category = models.ForeignKey(
        KbCategory, verbose_name=_("category"), on_delete=models.PROTECT, related_name="articles"
    )
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    body = models.TextField(_("body"), help_text=_("HTML; scripts and unsafe attributes are removed."))
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.DRAFT)
    visibility = models.CharField(_("visibility"), max_length=10, choices=Visibility, default=Visibility.PUBLIC)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    helpful_yes = models.PositiveIntegerField(default=0, editable=False)
    helpful_no = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    history = ConfigHistory(excluded_fields=["helpful_yes", "helpful_no", "updated_at"])

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        ordering = ["category", "title"]
        indexes = [models.Index(fields=["status", "visibility"], name="kbarticle_status_idx")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_public(self) -> bool:
        return self.status == self.Status.PUBLISHED and self.visibility == self.Visibility.PUBLIC


class KbVote(models.Model):
    """One "was this helpful" vote per article and voter (a hash of session or user)."""

    article = models.ForeignKey(KbArticle, on_delete=models.CASCADE, related_name="+")
    voter = models.CharField(max_length=64)
    helpful = models.BooleanField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["article", "voter"], name="kbvote_once")]

    def __str__(self) -> str:
        return f"{self.article_id}: {self.helpful}"


class CsatSurvey(models.Model):
    """Sent when a ticket is solved; answered once through a signed link."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="surveys")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    queue = models.ForeignKey(Queue, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    sent_at = models.DateTimeField(default=timezone.now)
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("satisfaction survey")
        verbose_name_plural = _("satisfaction surveys")
        ordering = ["-sent_at", "-pk"]
        indexes = [models.Index(fields=["answered_at"], name="csat_answered_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=1, score__lte=5), name="csat_score_1_to_5"
            )
        ]

    def __str__(self) -> str:
        return f"#{self.ticket_id}: {self.score or '—'}"
