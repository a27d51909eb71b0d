"""Marketing: segments over the customer list and RFM, email templates,
campaigns sent exactly once through an outbox, tracking, lead-capture forms
and drip sequences. Pages are for managers and marketers
(`marketing.permissions.marketing_required`)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.history import ConfigHistory


class Segment(models.Model):
    """A set of customers. A dynamic one is the customer list's filters (the
    query string of /customers/) plus rules, refreshed set-based into
    SegmentMember; a static one is a list kept by hand."""

    class Kind(models.TextChoices):
        DYNAMIC = "dynamic", _("Dynamic")
        STATIC = "static", _("Static list")

    name = models.CharField(_("name"), max_length=150)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind, default=Kind.DYNAMIC)
    # The customer list's query string (its filters, RFM drill-downs included).
    filters = models.CharField(_("customer list filters"), max_length=2000, blank=True)
    # {"match": "all"|"any", "rules": [{"field": …, "op": …, "value": …}, …], "groups": [...]}
    rules = models.JSONField(_("rules"), default=dict, blank=True)
    refresh_minutes = models.PositiveIntegerField(
        _("refresh every (minutes)"), default=60, help_text=_("Dynamic segments are also refreshed after each RFM run.")
    )
    member_count = models.PositiveIntegerField(_("members"), default=0, editable=False)
    refreshed_at = models.DateTimeField(_("refreshed"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    history = ConfigHistory(excluded_fields=["member_count", "refreshed_at"])

    class Meta:
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_dynamic(self) -> bool:
        return self.kind == self.Kind.DYNAMIC


class SegmentMember(models.Model):
    # No index of its own: the unique (segment, customer) serves lookups by segment. Every
    # index costs each of a refresh's inserted rows (166k at a time at a million customers).
    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="members", db_index=False)
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="segment_memberships")
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["segment", "customer"], name="segment_member_once")]

    def __str__(self) -> str:
        return f"{self.segment_id}: {self.customer_id}"


class EmailTemplate(models.Model):
    """Subject, HTML and text with merge fields ({{ first_name }},
    {{ unsubscribe_url }}, {{ first_name|default:"there" }}) rendered by the
    locked-down engine in `marketing.merge`."""

    name = models.CharField(_("name"), max_length=150)
    subject = models.CharField(_("subject"), max_length=255)
    html = models.TextField(_("HTML"), help_text=_("Scripts and unsafe attributes are removed when saved."))
    text = models.TextField(_("text"), blank=True, help_text=_("Left empty, it is made from the HTML."))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    history = ConfigHistory(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("email template")
        verbose_name_plural = _("email templates")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Campaign(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        SENDING = "sending", _("Sending")
        PAUSED = "paused", _("Paused")
        SENT = "sent", _("Sent")

    name = models.CharField(_("name"), max_length=150)
    template = models.ForeignKey(EmailTemplate, verbose_name=_("template"), on_delete=models.PROTECT)
    include_segments = models.ManyToManyField(Segment, verbose_name=_("send to"), related_name="+")
    exclude_segments = models.ManyToManyField(Segment, verbose_name=_("except"), related_name="+", blank=True)
    throttle_per_minute = models.PositiveIntegerField(_("at most per minute"), default=6000)
    attribution_days = models.PositiveSmallIntegerField(_("attribution window (days)"), default=7)
    holdout_percent = models.PositiveSmallIntegerField(
        _("holdout (%)"),
        default=0,
        help_text=_("0, or 5–10: that share of the audience is not sent, to measure uplift."),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.DRAFT)
    scheduled_at = models.DateTimeField(_("send at"), null=True, blank=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "scheduled_at"], name="campaign_due_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(holdout_percent=0) | Q(holdout_percent__gte=5, holdout_percent__lte=10),
                name="campaign_holdout_0_or_5_to_10",
            )
        ]

    def __str__(self) -> str:
        return self.name


class CampaignLink(models.Model):
    """The links of a campaign's template: a click redirects only to one of these."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="links")
    url = models.URLField(max_length=2000)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "url"], name="campaign_link_once")]

    def __str__(self) -> str:
        return self.url


class OutboxMessage(models.Model):
    """One recipient of a campaign, written set-based when it starts sending.
    Sent at most once: a batch claims its rows with a conditional UPDATE and a
    lease; a row stays `sent` once the server accepted it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        CLAIMED = "claimed", _("Sending")
        SENT = "sent", _("Sent")
        BOUNCED = "bounced", _("Bounced")
        SKIPPED = "skipped", _("Skipped (opted out)")
        HOLDOUT = "holdout", _("Holdout (not sent)")
        FAILED = "failed", _("Failed")

    # campaign: no index of its own, (campaign, customer) and (campaign, status) lead with it;
    # customer: the foreign key's index (a second one was a duplicate). Each "sent" UPDATE
    # changes status, so it writes an entry into every index: fewer indexes, cheaper sends.
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="outbox", db_index=False)
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    email = models.EmailField()
    status = models.CharField(max_length=10, choices=Status, default=Status.PENDING)
    # The recipient's RFM segment when the campaign was sent (the report breaks down by it).
    rfm_segment = models.CharField(max_length=100, blank=True)
    message_id = models.CharField(max_length=255, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "customer"], name="outbox_once_per_customer")]
        indexes = [
            models.Index(fields=["campaign", "status"], name="outbox_campaign_status_idx"),
            models.Index(fields=["status", "claimed_until"], name="outbox_stale_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id} → {self.email}"


class TrackingEvent(models.Model):
    """A raw open or click, kept as it came, with how it was classed."""

    class Kind(models.TextChoices):
        OPEN = "open", _("Open")
        CLICK = "click", _("Click")
        UNSUBSCRIBE = "unsubscribe", _("Unsubscribe")

    class Source(models.TextChoices):
        HUMAN = "human", _("Person")
        PROXY = "proxy", _("Privacy proxy")
        MACHINE = "machine", _("Scanner")

    message = models.ForeignKey(OutboxMessage, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=12, choices=Kind)
    source = models.CharField(max_length=10, choices=Source, default=Source.HUMAN)
    url = models.URLField(max_length=2000, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["message", "kind"], name="trackingevent_message_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.message_id}"


class LeadForm(models.Model):
    """A public lead-capture form at /marketing/f/<slug>/. `fields` lists the
    form's inputs and the Lead/Customer field each fills:
    [{"name": "email", "label": "Email", "target": "email", "required": true}, …]."""

    name = models.CharField(_("name"), max_length=150)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    fields = models.JSONField(_("fields"), default=list)
    ask_consent = models.BooleanField(_("ask for email consent"), default=True)
    consent_text = models.CharField(
        _("consent text"), max_length=300, blank=True, default="Send me news and offers by email."
    )
    thanks_text = models.CharField(_("thank-you text"), max_length=300, blank=True)
    allowed_origins = models.TextField(
        _("sites that may embed it"), blank=True, help_text=_("One origin per line, e.g. https://www.example.com")
    )
    is_published = models.BooleanField(_("published"), default=False)

    history = ConfigHistory()

    class Meta:
        verbose_name = _("lead form")
        verbose_name_plural = _("lead forms")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class FormSubmission(models.Model):
    form = models.ForeignKey(LeadForm, on_delete=models.CASCADE, related_name="submissions")
    data = models.JSONField(default=dict)
    lead = models.ForeignKey("sales.Lead", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    consent_requested = models.BooleanField(default=False)
    consent_confirmed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.form_id} {self.created_at:%Y-%m-%d}"


class Sequence(models.Model):
    """A drip: a trigger enrols customers, steps run in order, exits stop it."""

    class Trigger(models.TextChoices):
        JOINS_SEGMENT = "segment", _("Joins a segment")
        SUBMITS_FORM = "form", _("Submits a form")
        PLACES_ORDER = "order", _("Places an order")

    class Goal(models.TextChoices):
        NONE = "", _("None")
        ORDER = "order", _("Places an order")

    name = models.CharField(_("name"), max_length=150)
    trigger = models.CharField(_("trigger"), max_length=10, choices=Trigger)
    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    form = models.ForeignKey(LeadForm, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    goal = models.CharField(_("goal (exits when reached)"), max_length=10, choices=Goal, blank=True)
    is_active = models.BooleanField(_("active"), default=False)
    # Trigger events up to this moment were enrolled (the engine's watermark; empty: none yet).
    enrolled_until = models.DateTimeField(null=True, blank=True, editable=False)

    history = ConfigHistory(excluded_fields=["enrolled_until"])

    class Meta:
        verbose_name = _("sequence")
        verbose_name_plural = _("sequences")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SequenceStep(models.Model):
    class Kind(models.TextChoices):
        WAIT = "wait", _("Wait")
        SEND = "send", _("Send a template")
        TAG = "tag", _("Add a tag")
        TASK = "task", _("Create a task for the owner")

    sequence = models.ForeignKey(Sequence, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(_("position"))
    kind = models.CharField(_("step"), max_length=10, choices=Kind)
    wait_days = models.PositiveSmallIntegerField(_("days"), default=0)
    template = models.ForeignKey(EmailTemplate, on_delete=models.PROTECT, null=True, blank=True)
    tag = models.ForeignKey("customers.Tag", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    task_title = models.CharField(_("task"), max_length=200, blank=True)

    history = ConfigHistory()

    class Meta:
        ordering = ["sequence", "position"]
        constraints = [models.UniqueConstraint(fields=["sequence", "position"], name="sequence_step_position")]

    def __str__(self) -> str:
        return f"{self.sequence_id}.{self.position} {self.kind}"


class SequenceEnrollment(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        DONE = "done", _("Finished")
        EXITED = "exited", _("Exited")

    sequence = models.ForeignKey(Sequence, on_delete=models.CASCADE, related_name="enrollments")
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    next_position = models.PositiveSmallIntegerField(default=1)
    next_run_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=Status, default=Status.ACTIVE)
    exit_reason = models.CharField(max_length=50, blank=True)
    enrolled_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["sequence", "customer"], name="sequence_enrol_once")]
        indexes = [models.Index(fields=["status", "next_run_at"], name="enrollment_due_idx")]

    def __str__(self) -> str:
        return f"{self.sequence_id}: {self.customer_id}"


class SequenceStepRun(models.Model):
    """Proof a step happened for a customer: unique, so each step happens once.

    For a "send a template" step the row is also that mail's outbox row, claimed
    and sent like a campaign's OutboxMessage (same statuses, lease and Message-ID)."""

    class Status(models.TextChoices):
        DONE = "done", _("Done")  # steps that send nothing
        PENDING = "pending", _("Pending")
        CLAIMED = "claimed", _("Sending")
        SENT = "sent", _("Sent")
        BOUNCED = "bounced", _("Bounced")
        SKIPPED = "skipped", _("Skipped (opted out)")
        FAILED = "failed", _("Failed")

    sequence = models.ForeignKey(Sequence, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    step = models.ForeignKey(SequenceStep, on_delete=models.CASCADE, related_name="+")
    ran_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=Status, default=Status.DONE)
    email = models.EmailField(blank=True)
    message_id = models.CharField(max_length=255, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["sequence", "customer", "step"], name="sequence_step_runs_once")]
        indexes = [models.Index(fields=["status", "claimed_until"], name="step_run_mail_due_idx")]

    def __str__(self) -> str:
        return f"{self.step_id}: {self.customer_id}"
