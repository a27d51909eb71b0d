"""Sales: leads, pipelines with stages, deals, tasks, products, orders and targets."""

from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.history import ConfigHistory
from crm_project.access import ALL, OwnedModel, ScopedQuerySet
from crm_project.helpers import id_url
from crm_project.versioning import VersionedModel
from customers.models import Customer

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def default_currency() -> str:
    return settings.CRM_CURRENCY


class Pipeline(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    is_default = models.BooleanField(_("default"), default=False)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    stuck_after_days = models.PositiveSmallIntegerField(
        _("stuck after (days)"), default=14, help_text=_("A deal in one stage longer than this shows as stuck.")
    )

    history = ConfigHistory()

    class Meta:
        verbose_name = _("pipeline")
        verbose_name_plural = _("pipelines")
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.display_name

    # The default pipeline's name is in the translation catalogue; admins' own names show as typed.
    @property
    def display_name(self) -> str:
        return gettext(self.name)


class Stage(models.Model):
    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="stages")
    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    probability = models.PositiveSmallIntegerField(
        _("win probability (%)"), default=10, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    is_won = models.BooleanField(_("won"), default=False)
    is_lost = models.BooleanField(_("lost"), default=False)

    history = ConfigHistory()

    class Meta:
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        ordering = ["pipeline", "position", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(is_won=True, is_lost=True), name="stage_not_won_and_lost"),
            models.CheckConstraint(condition=Q(probability__lte=100), name="stage_probability_max_100"),
        ]

    def __str__(self) -> str:
        return f"{self.pipeline}: {self.display_name}"

    # The default stages' names are in the translation catalogue; admins' own names show as typed.
    @property
    def display_name(self) -> str:
        return gettext(self.name)

    @property
    def is_open(self) -> bool:
        return not (self.is_won or self.is_lost)


class LeadQuerySet(ScopedQuerySet):
    managers_see_unassigned = True


class Lead(OwnedModel, VersionedModel):
    class Status(models.TextChoices):
        NEW = "new", _("New")
        CONTACTED = "contacted", _("Contacted")
        QUALIFIED = "qualified", _("Qualified")
        UNQUALIFIED = "unqualified", _("Unqualified")
        CONVERTED = "converted", _("Converted")

    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    company_name = models.CharField(_("company"), max_length=200, blank=True)
    source = models.CharField(_("source"), max_length=20, choices=Customer.Source, default=Customer.Source.OTHER)
    status = models.CharField(_("status"), max_length=12, choices=Status, default=Status.NEW)
    unqualified_reason = models.CharField(_("reason"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # What the lead became (set by lead_convert).
    converted_at = models.DateTimeField(_("converted"), null=True, blank=True)
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.SET_NULL, null=True, blank=True, related_name="leads"
    )
    deal = models.ForeignKey(
        "Deal", verbose_name=_("deal"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = LeadQuerySet.as_manager()  # type: ignore[misc]  # as_manager()'s generated type cannot be named in a ClassVar (django-stubs #1713)

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["owner", "status", "-created_at"], name="lead_owner_status_idx"),
            models.Index(fields=["team", "status", "-created_at"], name="lead_team_status_idx"),
            models.Index(fields=["email"], name="lead_email_idx"),
            models.Index(fields=["-created_at"], name="lead_created_idx"),
        ]

    def __str__(self) -> str:
        return self.full_name

    def get_absolute_url(self) -> str:
        return id_url("sales:lead-detail", self.pk)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class LeadActivity(models.Model):
    """A lead's timeline (calls, notes and audit entries); copied to the customer on conversion."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="activities")
    kind = models.CharField(_("type"), max_length=10, default="note")  # same kinds as customers.Interaction
    occurred_at = models.DateTimeField(_("when"), default=timezone.now)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    summary = models.CharField(_("summary"), max_length=200)
    body = models.TextField(_("details"), blank=True)
    action = models.CharField(max_length=60, blank=True)
    data = models.JSONField(default=dict, blank=True)
    kind_label: "StrOrPromise"  # not a field: set by the lead page for its timeline

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        indexes = [models.Index(fields=["lead", "-occurred_at"], name="leadactivity_lead_idx")]

    def __str__(self) -> str:
        return self.summary


class AssignmentRule(models.Model):
    """How new leads find an owner: by source (or any), round-robin in a team or to one user."""

    class Strategy(models.TextChoices):
        ROUND_ROBIN = "round_robin", _("Round-robin within the team")
        USER = "user", _("Always this user")

    source = models.CharField(
        _("source"), max_length=20, choices=Customer.Source, blank=True, help_text=_("Empty: any source.")
    )
    strategy = models.CharField(_("strategy"), max_length=12, choices=Strategy, default=Strategy.ROUND_ROBIN)
    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    # Round-robin cursor: the member who got the previous lead.
    last_assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )

    # The cursor moves with every lead; it is bookkeeping, not configuration.
    history = ConfigHistory(excluded_fields=["last_assigned"])

    class Meta:
        verbose_name = _("lead assignment rule")
        verbose_name_plural = _("lead assignment rules")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"{self.get_source_display() or _('Any source')} → {self.get_strategy_display()}"


class Product(models.Model):
    name = models.CharField(_("name"), max_length=200)
    sku = models.CharField(_("SKU"), max_length=64, unique=True)
    price = models.DecimalField(_("price"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default=default_currency)
    is_active = models.BooleanField(_("active"), default=True)

    history = ConfigHistory()

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.sku})"


class DealQuerySet(ScopedQuerySet):
    # Support agents see a customer's deals read-only.
    agent_scope = ALL


class Deal(OwnedModel, VersionedModel):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    title = models.CharField(_("title"), max_length=200)
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="deals")
    company = models.ForeignKey(
        "customers.Company",
        verbose_name=_("company"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deals",
    )
    pipeline = models.ForeignKey(Pipeline, verbose_name=_("pipeline"), on_delete=models.PROTECT, related_name="deals")
    stage = models.ForeignKey(Stage, verbose_name=_("stage"), on_delete=models.PROTECT, related_name="deals")
    # Kept equal to the stage's won/lost flags by the services, for fast filtering.
    status = models.CharField(_("status"), max_length=5, choices=Status, default=Status.OPEN)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2, default=Decimal("0.00"))
    currency = models.CharField(_("currency"), max_length=3, default=default_currency)
    expected_close_date = models.DateField(_("expected close"), null=True, blank=True)
    lost_reason = models.CharField(_("lost reason"), max_length=200, blank=True)
    stage_changed_at = models.DateTimeField(_("in stage since"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = DealQuerySet.as_manager()  # type: ignore[misc]  # as_manager()'s generated type cannot be named in a ClassVar (django-stubs #1713)
    writable: bool  # not a field: set by the views that show a deal's card

    class Meta:
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        ordering = ["expected_close_date", "pk"]
        indexes = [
            models.Index(fields=["stage", "status", "expected_close_date"], name="deal_stage_idx"),
            models.Index(fields=["owner", "status", "expected_close_date"], name="deal_owner_idx"),
            models.Index(fields=["team", "status", "expected_close_date"], name="deal_team_idx"),
            models.Index(fields=["customer", "-created_at"], name="deal_customer_idx"),
            models.Index(fields=["status", "expected_close_date"], name="deal_status_close_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return id_url("sales:deal-detail", self.pk)

    @property
    def weighted_amount(self) -> Decimal:
        return (self.amount * self.stage.probability / 100).quantize(Decimal("0.01"))

    def days_in_stage(self, now=None) -> int:
        return ((now or timezone.now()) - self.stage_changed_at).days

    def is_stuck(self, now=None) -> bool:
        return self.status == self.Status.OPEN and self.days_in_stage(now) > self.pipeline.stuck_after_days

    @property
    def close_overdue(self) -> bool:
        """Still open although its expected close date has passed."""
        return (
            self.status == self.Status.OPEN
            and self.expected_close_date is not None
            and self.expected_close_date < timezone.localdate()
        )


class DealStageChange(models.Model):
    """The deal's stage history: when it moved, who moved it and how long it sat in the stage before."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.ForeignKey(Stage, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    to_stage = models.ForeignKey(Stage, on_delete=models.SET_NULL, null=True, related_name="+")
    changed_at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    time_in_previous_stage = models.DurationField(default=timedelta)

    class Meta:
        ordering = ["-changed_at", "-pk"]
        indexes = [models.Index(fields=["deal", "-changed_at"], name="stagechange_deal_idx")]

    def __str__(self) -> str:
        return f"{self.deal_id}: {self.from_stage_id} → {self.to_stage_id}"


class DealProduct(models.Model):
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(_("quantity"), max_digits=10, decimal_places=2, default=Decimal("1"))
    unit_price = models.DecimalField(_("unit price"), max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.product}"

    @property
    def total(self) -> Decimal:
        return (self.quantity * self.unit_price).quantize(Decimal("0.01"))


class Task(OwnedModel, VersionedModel):
    """A to-do. `owner` is the assignee; the team follows the assignee."""

    class Priority(models.IntegerChoices):
        LOW = 1, _("Low")
        NORMAL = 2, _("Normal")
        HIGH = 3, _("High")

    title = models.CharField(_("title"), max_length=200)
    due_at = models.DateTimeField(_("due"))
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority, default=Priority.NORMAL)
    notes = models.TextField(_("notes"), blank=True)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, null=True, blank=True, related_name="tasks")
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, null=True, blank=True, related_name="tasks")
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, null=True, blank=True, related_name="tasks")
    reminded_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["done_at", "due_at", "-priority", "pk"]
        indexes = [
            models.Index(fields=["owner", "done_at", "due_at"], name="task_owner_due_idx"),
            models.Index(fields=["due_at", "done_at", "reminded_at"], name="task_reminder_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_overdue(self) -> bool:
        return self.done_at is None and self.due_at < timezone.now()


class OrderQuerySet(ScopedQuerySet):
    """Orders are visible exactly when their customer is: through the customer's owner and team,
    which the database copies onto each order (Order.customer_owner)."""

    owner_field = "customer_owner"
    team_field = "customer_team"
    agent_scope = ALL
    # order_alive_owner_date_idx and order_alive_team_date_idx keep each branch in list order
    # (and hold the currency and total: sales.selectors.money sums a branch from its index).
    scope_branch_indexes = True


class Order(models.Model):
    class Status(models.TextChoices):
        PAID = "paid", _("Paid")
        REFUNDED = "refunded", _("Refunded")
        CANCELLED = "cancelled", _("Cancelled")

    class Source(models.TextChoices):
        DEAL = "deal", _("Won deal")
        IMPORT = "import", _("Import")
        MANUAL = "manual", _("Manual")

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="orders")
    # The shop's or ERP's order number; rows without one are always separate orders.
    order_ref = models.CharField(_("order reference"), max_length=100, blank=True)
    ordered_at = models.DateTimeField(_("ordered at"))
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.PAID)
    currency = models.CharField(_("currency"), max_length=3, default=default_currency)
    total = models.DecimalField(_("total"), max_digits=14, decimal_places=2)
    deal = models.ForeignKey(Deal, on_delete=models.SET_NULL, null=True, blank=True, related_name="orders")
    source = models.CharField(_("source"), max_length=10, choices=Source, default=Source.MANUAL)
    created_at = models.DateTimeField(default=timezone.now)
    # The customer's owner and team, which scope the order (OrderQuerySet), and whether the
    # customer is not deleted (the order lists hide the others). Database triggers keep them,
    # on every write path: an order's insert or customer change, and a customer's
    # reassignment, team change, deletion or restore (migration 0009). A manager's orders are
    # then one index range per branch, instead of a probe per visible customer (10,000 of
    # them at a million customers). Python never sets them: an order saved here holds the
    # values as loaded.
    customer_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("customer's owner"), on_delete=models.DO_NOTHING,
        db_constraint=False, db_index=False, null=True, editable=False, related_name="+",
    )  # fmt: skip
    customer_team = models.ForeignKey(
        "accounts.Team", verbose_name=_("customer's team"), on_delete=models.DO_NOTHING,
        db_constraint=False, db_index=False, null=True, editable=False, related_name="+",
    )  # fmt: skip
    customer_alive = models.BooleanField(_("customer not deleted"), default=True, editable=False)

    objects = OrderQuerySet.as_manager()

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-ordered_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "order_ref"], condition=~Q(order_ref=""), name="order_ref_unique_per_customer"
            ),
            models.CheckConstraint(
                condition=Q(total__gte=0) | Q(status="refunded"), name="order_total_not_negative_unless_refunded"
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "-ordered_at"], name="order_customer_idx"),
            models.Index(fields=["status", "ordered_at"], name="order_status_date_idx"),
            models.Index(fields=["-ordered_at", "-id"], name="order_date_idx"),
            models.Index(
                fields=["customer_owner", "-ordered_at", "-id"],
                condition=Q(customer_owner__isnull=False, customer_alive=True),
                include=["currency", "total"],
                name="order_alive_owner_date_idx",
            ),
            models.Index(
                fields=["customer_team", "-ordered_at", "-id"],
                condition=Q(customer_team__isnull=False, customer_alive=True),
                include=["currency", "total"],
                name="order_alive_team_date_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.order_ref or f"#{self.pk}"


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    description = models.CharField(_("description"), max_length=200)
    quantity = models.DecimalField(_("quantity"), max_digits=10, decimal_places=2)
    unit_price = models.DecimalField(_("unit price"), max_digits=12, decimal_places=2)
    total = models.DecimalField(_("total"), max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.description


class Target(models.Model):
    """A revenue target for one rep or one team in one month (set by managers)."""

    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    amount = models.DecimalField(_("target"), max_digits=14, decimal_places=2)

    history = ConfigHistory()

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        ordering = ["month"]
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False, team__isnull=True) | Q(user__isnull=True, team__isnull=False),
                name="target_for_a_user_or_a_team",
            ),
            models.UniqueConstraint(
                fields=["month", "user"], condition=Q(user__isnull=False), name="target_user_month"
            ),
            models.UniqueConstraint(
                fields=["month", "team"], condition=Q(team__isnull=False), name="target_team_month"
            ),
            models.CheckConstraint(condition=Q(month__day=1), name="target_month_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.user or self.team} {self.month:%Y-%m}: {self.amount}"


class CustomerStats(models.Model):
    """Per-customer order figures (paid orders), kept up to date set-based by the
    order services (`sales.services.stats.customer_stats_refresh`), so segment
    rules on lifetime spend, order count and recency are one indexed join."""

    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, primary_key=True, related_name="stats")
    order_count = models.PositiveIntegerField(_("orders"), default=0)
    lifetime_spend = models.DecimalField(_("lifetime spend"), max_digits=16, decimal_places=2, default=0)
    first_order_at = models.DateTimeField(_("first order"), null=True, blank=True)
    last_order_at = models.DateTimeField(_("last order"), null=True, blank=True)

    class Meta:
        verbose_name = _("customer order figures")
        verbose_name_plural = _("customer order figures")
        indexes = [
            models.Index(fields=["lifetime_spend"], name="customerstats_spend_idx"),
            models.Index(fields=["order_count"], name="customerstats_orders_idx"),
            models.Index(fields=["last_order_at"], name="customerstats_last_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.order_count}"
