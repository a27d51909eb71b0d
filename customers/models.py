"""The customer database: people, companies, consent, tags, custom fields,
the interaction timeline (which is also the audit trail) and attachments."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.history import ConfigHistory
from crm_project.access import ALL, OwnedModel, ScopedQuerySet
from crm_project.helpers import id_url
from crm_project.versioning import VersionedModel


class AliveManager(models.Manager):
    """Hides soft-deleted rows everywhere; admins reach them via `all_objects`."""

    def get_queryset(self):
        return super().get_queryset().filter(deleted_at__isnull=True)


class CustomerQuerySet(ScopedQuerySet):
    # Support agents read every customer (tickets come from anyone) but write none.
    agent_scope = ALL
    # customer_alive_owner_name_idx and customer_alive_team_name_idx keep each branch in list order.
    scope_branch_indexes = True


class CompanyQuerySet(ScopedQuerySet):
    agent_scope = ALL


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=50, unique=True)
    color = models.CharField(_("colour"), max_length=7, default="#6c757d", help_text=_("A hex colour, e.g. #0d6efd."))

    history = ConfigHistory()

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CustomField(models.Model):
    """An extra customer field defined by admins; values live in Customer.custom_data."""

    class Type(models.TextChoices):
        TEXT = "text", _("Text")
        NUMBER = "number", _("Number")
        DATE = "date", _("Date")
        CHOICE = "choice", _("Choice")

    label = models.CharField(_("label"), max_length=100)
    key = models.SlugField(_("key"), max_length=50, unique=True, help_text=_("Used in imports, exports and URLs."))
    field_type = models.CharField(_("type"), max_length=10, choices=Type, default=Type.TEXT)
    choices = models.TextField(_("choices"), blank=True, help_text=_("For choice fields: one option per line."))
    required = models.BooleanField(_("required"), default=False)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    history = ConfigHistory()

    class Meta:
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")
        ordering = ["position", "label"]

    def __str__(self) -> str:
        return self.label

    @property
    def choice_list(self) -> list[str]:
        return [line.strip() for line in self.choices.splitlines() if line.strip()]


class Address(models.Model):
    street = models.CharField(_("street"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True, help_text=_("ISO 3166 code, e.g. DE."))

    class Meta:
        abstract = True


class Company(OwnedModel, VersionedModel, Address):
    class Size(models.TextChoices):
        MICRO = "1-9", _("1–9 employees")
        SMALL = "10-49", _("10–49 employees")
        MEDIUM = "50-249", _("50–249 employees")
        LARGE = "250-999", _("250–999 employees")
        ENTERPRISE = "1000+", _("1000+ employees")

    name = models.CharField(_("name"), max_length=200)
    domain = models.CharField(_("domain"), max_length=200, blank=True, help_text=_("e.g. example.com"))
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    size = models.CharField(_("size"), max_length=10, choices=Size, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    deleted_at = models.DateTimeField(_("deleted"), null=True, blank=True)

    objects = AliveManager.from_queryset(CompanyQuerySet)()  # type: ignore[misc,assignment]  # generated manager types cannot be named (django-stubs #1713)
    all_objects = CompanyQuerySet.as_manager()

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        ordering = ["name"]
        base_manager_name = "all_objects"
        indexes = [
            models.Index(fields=["name"], name="company_name_idx"),
            models.Index(fields=["domain"], name="company_domain_idx"),
            models.Index(fields=["owner", "name"], name="company_owner_name_idx"),
            models.Index(fields=["team", "name"], name="company_team_name_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return id_url("customers:company-detail", self.pk)


class Customer(OwnedModel, VersionedModel, Address):
    """A person the business deals with."""

    class Stage(models.TextChoices):
        SUBSCRIBER = "subscriber", _("Subscriber")
        LEAD = "lead", _("Lead")
        QUALIFIED = "qualified", _("Qualified")
        OPPORTUNITY = "opportunity", _("Opportunity")
        CUSTOMER = "customer", _("Customer")
        EVANGELIST = "evangelist", _("Evangelist")
        CHURNED = "churned", _("Churned")

    class Source(models.TextChoices):
        WEB = "web", _("Website")
        REFERRAL = "referral", _("Referral")
        EVENT = "event", _("Event")
        ADVERTISING = "advertising", _("Advertising")
        PARTNER = "partner", _("Partner")
        IMPORT = "import", _("Import")
        OTHER = "other", _("Other")

    class Consent(models.TextChoices):
        UNKNOWN = "unknown", _("Not asked")
        OPTED_IN = "opted_in", _("Opted in")
        OPTED_OUT = "opted_out", _("Opted out")

    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    # Digits only (with a leading + kept), for duplicate detection and phone search.
    phone_normalized = models.CharField(max_length=40, blank=True, editable=False)
    company = models.ForeignKey(
        Company, verbose_name=_("company"), on_delete=models.SET_NULL, null=True, blank=True, related_name="people"
    )
    job_title = models.CharField(_("job title"), max_length=100, blank=True)
    lifecycle_stage = models.CharField(_("lifecycle stage"), max_length=20, choices=Stage, default=Stage.LEAD)
    source = models.CharField(_("source"), max_length=20, choices=Source, default=Source.OTHER)
    external_ref = models.CharField(
        _("external reference"), max_length=100, blank=True, help_text=_("The id this customer has in the shop or ERP.")
    )
    email_consent = models.CharField(_("email marketing"), max_length=10, choices=Consent, default=Consent.UNKNOWN)
    email_consent_at = models.DateTimeField(_("consent changed"), null=True, blank=True)
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="customers")
    custom_data = models.JSONField(_("custom fields"), default=dict, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    deleted_at = models.DateTimeField(_("deleted"), null=True, blank=True)

    objects = AliveManager.from_queryset(CustomerQuerySet)()  # type: ignore[misc,assignment]  # generated manager types cannot be named (django-stubs #1713)
    all_objects = CustomerQuerySet.as_manager()

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["last_name", "first_name", "pk"]
        base_manager_name = "all_objects"
        constraints = [
            models.UniqueConstraint(
                fields=["external_ref"], condition=~Q(external_ref=""), name="customer_external_ref_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["last_name", "first_name"], name="customer_name_idx"),
            # The list's order, alive rows only: its deep pages pick their ids by an
            # index-only scan of this one (crm_project.lists.ListPaginator).
            models.Index(
                fields=["last_name", "first_name", "id"],
                condition=Q(deleted_at__isnull=True),
                name="customer_alive_name_idx",
            ),
            models.Index(fields=["email"], name="customer_email_idx"),
            # Imports and duplicate checks match emails case-insensitively.
            models.Index(Lower("email"), name="customer_email_lower_idx"),
            models.Index(fields=["phone_normalized"], name="customer_phone_idx"),
            # A scope's branches (owner = me, team = mine) in list order, alive rows
            # only: a manager's list reads its page and its capped count from these
            # alone (index-only; the other column for the scope's OR is included).
            models.Index(
                fields=["owner", "last_name", "first_name", "id"],
                include=["team"],
                condition=Q(deleted_at__isnull=True),
                name="customer_alive_owner_name_idx",
            ),
            models.Index(
                fields=["team", "last_name", "first_name", "id"],
                include=["owner"],
                condition=Q(deleted_at__isnull=True),
                name="customer_alive_team_name_idx",
            ),
            models.Index(fields=["company", "last_name"], name="customer_company_idx"),
            models.Index(fields=["lifecycle_stage"], name="customer_stage_idx"),
            models.Index(fields=["country"], name="customer_country_idx"),
            models.Index(fields=["email_consent"], name="customer_consent_idx"),
            models.Index(fields=["-created_at"], name="customer_created_idx"),
        ]

    def __str__(self) -> str:
        return self.full_name

    def get_absolute_url(self) -> str:
        return id_url("customers:customer-detail", self.pk)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class ConsentEvent(models.Model):
    """Append-only log of consent changes; never updated or deleted by the app."""

    class Source(models.TextChoices):
        FORM = "form", _("Form")
        IMPORT = "import", _("Import")
        UNSUBSCRIBE = "unsubscribe", _("Unsubscribe link")
        MANUAL = "manual", _("Manual")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="consent_events")
    channel = models.CharField(_("channel"), max_length=20, default="email")
    status = models.CharField(_("status"), max_length=10, choices=Customer.Consent)
    source = models.CharField(_("source"), max_length=20, choices=Source)
    note = models.CharField(_("note"), max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("consent event")
        verbose_name_plural = _("consent log")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["customer", "-created_at"], name="consent_customer_idx")]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.status} ({self.source})"


class Interaction(models.Model):
    """One entry on a customer's timeline: a call, email, meeting or note that a
    user logged, or an audit entry a service wrote (kind SYSTEM, with `action`)."""

    class Kind(models.TextChoices):
        CALL = "call", _("Call")
        EMAIL = "email", _("Email")
        MEETING = "meeting", _("Meeting")
        NOTE = "note", _("Note")
        SYSTEM = "system", _("Change")

    LOGGABLE_KINDS = (Kind.CALL, Kind.EMAIL, Kind.MEETING, Kind.NOTE)

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, null=True, blank=True, related_name="interactions")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, null=True, blank=True, related_name="interactions")
    kind = models.CharField(_("type"), max_length=10, choices=Kind)
    occurred_at = models.DateTimeField(_("when"), default=timezone.now)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    summary = models.CharField(_("summary"), max_length=200)
    body = models.TextField(_("details"), blank=True)
    # For audit entries: a dotted action name ("customer.updated") and its data.
    action = models.CharField(max_length=60, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        ordering = ["-occurred_at", "-pk"]
        indexes = [
            models.Index(fields=["customer", "-occurred_at"], name="interaction_customer_idx"),
            models.Index(fields=["company", "-occurred_at"], name="interaction_company_idx"),
        ]

    def __str__(self) -> str:
        return self.summary


def attachment_path(instance, filename):
    return f"attachments/{timezone.now():%Y/%m}/{filename}"


class Attachment(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments")
    file = models.FileField(_("file"), upload_to=attachment_path)
    original_name = models.CharField(_("name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size"))
    content_type = models.CharField(max_length=100)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["-uploaded_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(customer__isnull=False) | Q(company__isnull=False), name="attachment_has_a_parent"
            )
        ]

    def __str__(self) -> str:
        return self.original_name
