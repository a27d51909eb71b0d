"""Settings shared by every environment. Every value can come from the environment."""

from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

from crm_project.celery import filesystem_broker_options  # loaded with the package already

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env("DJANGO_SECRET_KEY", default=None)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # Third party
    "axes",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "django_tables2",
    "django_htmx",
    "django_celery_beat",
    "simple_history",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "drf_standardized_errors",
    # Project
    "crm_project",
    "accounts",
    "jobs",
    "imports",
    "customers",
    "sales",
    "marketing",
    "support",
    "analytics",
    "api",
    "webhooks",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The user's own language and time zone (their profile), over the browser's.
    "accounts.middleware.UserPreferencesMiddleware",
    # Names the logged-in user on configuration history rows (accounts.history).
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, so that it sees the outcome of the login view.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "crm_project.urls"
WSGI_APPLICATION = "crm_project.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "crm_project.navigation.navigation",
                "accounts.context_processors.notifications",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + immediate transactions let web, worker and beat share one file
    # without "database is locked" (checked in ../shared/STACK_NOTES.md).
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and broker -----------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "crm_project.cache.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery: Redis when REDIS_URL is set, otherwise kombu's filesystem transport
# so that `make run` runs a real worker with no server (see crm_project/celery.py).
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=15 * 60)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=20 * 60)
CELERY_BROKER_DIR = Path(env("CELERY_BROKER_DIR", default=str(BASE_DIR / "var" / "broker")))

if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    # Redis hands an unacknowledged job to another worker after this long, so it
    # must outlast the longest job (its hard time limit), or a job still running
    # would be delivered twice.
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {"visibility_timeout": CELERY_TASK_TIME_LIMIT + 10 * 60}
else:
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = filesystem_broker_options(CELERY_BROKER_DIR)
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_IGNORE_RESULT = True
# With Redis, a job whose worker died is delivered again (the filesystem
# transport forgets it once received: the job log's housekeeping sends it again).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Keep a worker's database connection across tasks (Celery's Django fixup closes
# it after this many): campaign batches are ~100 small UPDATEs each, and a new
# connection per task cost more than the batch itself.
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=100)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = env("TIME_ZONE", default="UTC")
# Periodic jobs live in code; django-celery-beat copies them into the
# database at start, where admins see (and may pause) them.
CELERY_BEAT_SCHEDULE = {
    "jobs-housekeeping": {
        "task": "jobs.housekeeping",
        "schedule": env.int("JOBS_HOUSEKEEPING_SECONDS", default=60),
    },
    # Uploads nobody finished importing (and what was read from them), deleted after a day.
    "imports-prune-uploads": {
        "task": "imports.prune_uploads",
        "schedule": env.int("IMPORTS_PRUNE_SECONDS", default=3600),
    },
    # Support mailboxes read over IMAP (support.services.imap).
    "support-fetch-mail": {
        "task": "support.fetch_mail",
        "schedule": env.int("SUPPORT_FETCH_MAIL_SECONDS", default=60),
    },
    # Daily e-mail and in-app reminder of the tasks due today (hour in TIME_ZONE).
    "sales-task-reminders": {
        "task": "sales.task_reminders",
        "schedule": crontab(minute=0, hour=env.int("TASK_REMINDER_HOUR", default=7)),
    },
    # Support: escalation rules near and at SLA breaches (each fires once per ticket).
    "support-sla-escalate": {
        "task": "support.sla_escalate",
        "schedule": env.int("SUPPORT_ESCALATE_SECONDS", default=60),
    },
    # Marketing: drip sequences enrol, exit and advance (each step once per customer).
    "marketing-sequences-run": {
        "task": "marketing.sequences_run",
        "schedule": env.int("MARKETING_SEQUENCES_SECONDS", default=300),
    },
    # Marketing: dynamic segments whose refresh interval has passed (each its own refresh_minutes).
    "marketing-segment-refresh": {
        "task": "marketing.segment_refresh",
        "schedule": env.int("MARKETING_SEGMENT_REFRESH_SECONDS", default=300),
    },
    # Marketing: start campaigns whose time has come; send again batches a dead worker dropped.
    "marketing-campaign-dispatch-due": {
        "task": "marketing.campaign_dispatch_due",
        "schedule": env.int("MARKETING_DISPATCH_SECONDS", default=60),
    },
    # API: forget stored Idempotency-Key responses after CRM_API_IDEMPOTENCY_HOURS.
    "api-idempotency-keys-prune": {
        "task": "api.idempotency_keys_prune",
        "schedule": env.int("API_IDEMPOTENCY_PRUNE_SECONDS", default=3600),
    },
    # Webhooks: deliver what is due (retries, and deliveries a dead worker held).
    "webhooks-deliveries-due": {
        "task": "webhooks.deliveries_due",
        "schedule": env.int("WEBHOOKS_DUE_SECONDS", default=15),
    },
    # Webhooks: forget finished events after CRM_WEBHOOKS_KEEP_DAYS (04:10 in TIME_ZONE).
    "webhooks-prune": {
        "task": "webhooks.prune",
        "schedule": crontab(minute=10, hour=4),
    },
    "marketing-outbox-requeue-stale": {
        "task": "marketing.outbox_requeue_stale",
        "schedule": env.int("MARKETING_REQUEUE_SECONDS", default=60),
    },
}

# --- Auth -----------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_HANDLER = "accounts.throttling.LoginThrottle"
# Failures from one address across all usernames before it is locked out too.
CRM_LOGIN_IP_FAILURE_LIMIT = env.int("CRM_LOGIN_IP_FAILURE_LIMIT", default=20)

# --- History of configuration (django-simple-history, see accounts/history.py) ---
# History pages only read: a change goes through the forms and services, which keep
# dependent rows in step (a stage's won/lost flags and its deals, for example).
SIMPLE_HISTORY_REVERT_DISABLED = True

# --- Record-level access ----------------------------------------------------
# How far each role sees records that have an owner and a team:
# "own" (records they own), "team" (their teams' records), "all".
CRM_SCOPE_SALES_REP = env("CRM_SCOPE_SALES_REP", default="own")
CRM_SCOPE_MANAGER = env("CRM_SCOPE_MANAGER", default="team")

# --- Internationalisation ----------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("tr", _("Turkish"))]
# Unambiguous English dates (crm_project/formats/en); Turkish keeps Django's (06.12.2026).
FORMAT_MODULE_PATH = ["crm_project.formats"]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True
CRM_CURRENCY = env("CRM_CURRENCY", default="EUR")

# --- Static and media ---------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
# Front-end packages come from npm (package.json), installed by `make install`.
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", NODE_MODULES / "bootstrap" / "dist"),
    ("vendor/bootstrap-icons", NODE_MODULES / "bootstrap-icons" / "font"),
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/chart.js", NODE_MODULES / "chart.js" / "dist"),
    ("vendor/sortablejs", NODE_MODULES / "sortablejs"),
]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- Mail -----------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="CRM <crm@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Links in mail (a customer's ticket link, a survey) start with this.
CRM_SITE_URL = env("CRM_SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# Support mail: Message-IDs are made on this domain; replies come from this address
# unless the queue has its own inbound address.
SUPPORT_EMAIL_DOMAIN = env("SUPPORT_EMAIL_DOMAIN", default="support.crm.localhost")
SUPPORT_FROM_EMAIL = env("SUPPORT_FROM_EMAIL", default="Support <support@support.crm.localhost>")
# How long a customer's ticket link and a survey link stay valid.
CRM_SUPPORT_LINK_MAX_AGE_DAYS = env.int("CRM_SUPPORT_LINK_MAX_AGE_DAYS", default=30)
CRM_SUPPORT_SURVEY_MAX_AGE_DAYS = env.int("CRM_SUPPORT_SURVEY_MAX_AGE_DAYS", default=30)
# Each public support form (new request, reply, fresh link, survey) takes this many
# posts an hour per address and per email or ticket, then answers 429.
CRM_SUPPORT_PUBLIC_POSTS_PER_HOUR = env.int("CRM_SUPPORT_PUBLIC_POSTS_PER_HOUR", default=5)
# The largest mail support_ingest_email and support_fetch_mail accept.
CRM_SUPPORT_MAX_EMAIL_BYTES = env.int("CRM_SUPPORT_MAX_EMAIL_BYTES", default=30 * 1024 * 1024)

# Campaign mail: its own server when MARKETING_EMAIL_URL is set (a bulk relay), else EMAIL_URL's.
MARKETING_EMAIL_URL = env("MARKETING_EMAIL_URL", default="")
MARKETING_FROM_EMAIL = env("MARKETING_FROM_EMAIL", default=DEFAULT_FROM_EMAIL)
# Message-IDs of campaign mail are made on this domain (stable per recipient, reused on resend).
MARKETING_EMAIL_DOMAIN = env("MARKETING_EMAIL_DOMAIN", default="mail.crm.localhost")
# A batch owns its claimed rows this long; past it, outbox_requeue_stale sends them again.
MARKETING_SEND_LEASE_S = env.int("MARKETING_SEND_LEASE_S", default=300)
MARKETING_BATCH_SIZE = env.int("MARKETING_BATCH_SIZE", default=100)
# SMTP connections a batch sends over at once (threads, each marking its rows over its
# own database connection; PostgreSQL only), so the worker does not sit idle on replies.
# 1 keeps the promise that a crash resends at most one message per worker process (the
# one whose "sent" mark was lost); with N lanes it is at most one per lane.
MARKETING_SMTP_LANES = env.int("MARKETING_SMTP_LANES", default=1)
# A recipient the server keeps refusing with 4xx is failed after this many tries.
MARKETING_MAX_ATTEMPTS = env.int("MARKETING_MAX_ATTEMPTS", default=5)
MARKETING_RETRY_BACKOFF_S = env.int("MARKETING_RETRY_BACKOFF_S", default=60)

# --- UI -------------------------------------------------------------------
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
# Django's widget templates, written in Python (the same HTML; crm_project/form_renderer.py).
FORM_RENDERER = "crm_project.form_renderer.FormRenderer"
DJANGO_TABLES2_TEMPLATE = "partials/table.html"
DJANGO_TABLES2_TABLE_ATTRS = {"class": "table table-hover align-middle mb-0"}
CRM_PAGE_SIZE = 25
# The most rows `?per_page=` may ask a list for.
CRM_PAGE_SIZE_MAX = 100
# Lists count exactly up to this many rows; above it they show PostgreSQL's
# estimate ("about 1,300,000") and offer no last page.
CRM_LIST_EXACT_COUNT = env.int("CRM_LIST_EXACT_COUNT", default=10_000)
# A filtered list with at most this many rows (estimated) is sorted whole rather
# than read along an index in sort order (see crm_project.lists.ListPaginator).
CRM_LIST_SORT_ALL_MAX = env.int("CRM_LIST_SORT_ALL_MAX", default=50_000)
# Above this many rows (estimated) a scope of several branches (owner = me OR team
# IN …) is paged branch by branch along the branches' own indexes (same module).
CRM_LIST_SORT_WHOLE_MAX = env.int("CRM_LIST_SORT_WHOLE_MAX", default=2_000)
# Models whose rows cached fragments show (the filter bars' menus, saved views): every write bumps
# their version (crm_project/fragments.py: saves by signal, other statements by an execute wrapper).
CRM_CACHED_MODELS: list[str] = [
    "accounts.User",
    "accounts.Team",
    "accounts.SavedView",
    "accounts.SavedViewDefault",
    "auth.Group",
    "customers.Tag",
    "customers.CustomField",
    "sales.Pipeline",
    "sales.Stage",
    "analytics.RfmSegment",
    # The RFM report's body is cached per run (its figures are the run's summary).
    "analytics.RfmRun",
]
# The lists' rows, watched the same way (every statement that writes their tables bumps their
# version), but a fragment depends on them only when its render reads them: a customer's save
# redraws the customer lists, not every page's navigation (crm_project/fragments.py).
CRM_CACHED_ROW_MODELS: list[str] = [
    "customers.Customer",
    "customers.Company",
    "analytics.ClvRun",
    "analytics.ClvScore",
    "analytics.RfmScore",
    # The pipeline board's counts and totals (sales.views.deals.board), the deal list.
    "sales.Deal",
    # The order, lead, task and ticket lists (their content is cached: crm_project.lists).
    "sales.Order",
    "sales.Lead",
    "sales.Task",
    "support.Ticket",
    # The ticket list's queue column and menus, and who works which queue (its members).
    "support.Queue",
]
# Database triggers that write a watched table when another is written: (the model written, the
# columns whose change fires the trigger, the model whose table it writes). A statement that writes
# the first table and names one of the columns bumps the last model's version too. Sales migration
# 0009 copies a customer's owner, team and deletion to their orders.
CRM_CACHED_TRIGGER_WRITES: list[tuple[str, list[str], str]] = [
    ("customers.Customer", ["owner_id", "team_id", "deleted_at"], "sales.Order"),
]

# --- Registries: how higher apps extend lower apps' pages ----------------------
# A lower app never imports a higher one; it reads these lists instead, and each
# app registers here what it adds (see customers/registry.py, crm_project/home.py).
# Global search sections, in this order (crm_project.search: a provider is
# "module.function(*, user, query, limit) -> SearchSection | None").
CRM_SEARCH_PROVIDERS: list[str] = [
    "customers.selectors.search.customers_section",
    "customers.selectors.search.companies_section",
    "sales.selectors.search.leads_section",
    "sales.selectors.search.deals_section",
    "sales.selectors.search.orders_section",
    "sales.selectors.search.tasks_section",
    "support.selectors.search.tickets_section",
]
# Other apps' records on the customer's timeline (customers.registry.TimelineSource).
CRM_TIMELINE_SOURCES: list[str] = ["sales.selectors.orders.ORDER_TIMELINE_SOURCE"]
# How each app's system entries read on a timeline (customers.timeline.Sentence, by action code).
CRM_TIMELINE_SENTENCES: list[str] = [
    "customers.timeline.SENTENCES",
    "sales.timeline.SENTENCES",
    "support.timeline.SENTENCES",
]
# Cards on the customer's page, in this order (customers.registry.CustomerPanel).
CRM_CUSTOMER_PANELS: list[str] = [
    "sales.panels.DEALS_PANEL",
    "sales.panels.ORDERS_PANEL",
    "support.panels.TICKETS_PANEL",
    "analytics.panels.RFM_PANEL",
    "analytics.panels.CLV_PANEL",
    "marketing.panels.CAMPAIGNS_PANEL",
]
# Extra filters of the customer list, its exports and bulk actions (customers.registry.CustomerListFilters).
CRM_CUSTOMER_LIST_FILTERS: list[str] = [
    "analytics.filters.RFM_CUSTOMER_FILTERS",
    "support.filters.customers.SUPPORT_CUSTOMER_FILTERS",
    "analytics.filters.CLV_CUSTOMER_FILTERS",
]
# Extra columns of the customer list, sortable (customers.registry.CustomerListColumn).
CRM_CUSTOMER_LIST_COLUMNS: list[str] = ["analytics.tables.CLV_COLUMN"]
# Links under the customer list's "Views" menu, given the list's current filters (customers.registry.CustomerListLink).
CRM_CUSTOMER_LIST_LINKS: list[str] = ["marketing.links.MAKE_SEGMENT_LINK"]
# Extra bulk actions of the customer list (customers.registry.CustomerBulkAction).
CRM_CUSTOMER_BULK_ACTIONS: list[str] = ["marketing.links.ADD_TO_LIST_ACTION"]
# Buttons on the RFM report's segment rows and grid cells (analytics.registry.RfmAction).
CRM_RFM_ACTIONS: list[str] = ["marketing.links.RFM_MAKE_SEGMENT"]
# Fields segment rules may test besides marketing's own (marketing.rules.SegmentField):
# dotted paths to a field, or to a callable returning fields. Support adds its own here.
CRM_SEGMENT_FIELDS: list[str] = []
# The side navigation, in menu order: each app's NAV_ITEMS (crm_project.navigation.NavItem).
CRM_NAVIGATION: list[str] = [
    "crm_project.navigation.HOME_ITEMS",
    "customers.apps.NAV_ITEMS",
    "sales.apps.NAV_ITEMS",
    "support.apps.NAV_ITEMS",
    "marketing.apps.NAV_ITEMS",
    "analytics.apps.NAV_ITEMS",
    "jobs.apps.NAV_ITEMS",
    "api.apps.NAV_ITEMS",
    "webhooks.apps.NAV_ITEMS",
]
# Cards on the role homes: "module.function(*, request, role) -> list[crm_project.home.HomeCard]".
CRM_HOME_CARDS: list[str] = ["sales.panels.home_cards", "analytics.panels.home_cards", "support.panels.home_cards"]
# Sections below the profile form, in this order (accounts.registry.ProfileSection).
CRM_PROFILE_SECTIONS: list[str] = ["api.panels.TOKENS_SECTION"]
# Sections at the top of "My day" and the team overview: "module.NAME" of a sales.registry.MyDaySection.
CRM_MY_DAY_SECTIONS: list[str] = ["analytics.panels.NEXT_ACTION_SECTION"]

# seed_demo refuses to run unless this is on (local and test settings only).
CRM_DEMO_DATA_ALLOWED = False

# Jobs that managers and admins may start by hand from /jobs/ (Celery task names).
JOBS_RUNNABLE = ["jobs.housekeeping", "sales.task_reminders", "analytics.rfm_score", "analytics.clv_fit"]
# A worker beats on its running job every JOBS_HEARTBEAT_SECONDS; a run silent for
# JOBS_STALE_AFTER_SECONDS lost its worker, and housekeeping sends it again, at most
# JOBS_MAX_RESTARTS times, before marking it failed.
JOBS_HEARTBEAT_SECONDS = env.float("JOBS_HEARTBEAT_SECONDS", default=10)
JOBS_STALE_AFTER_SECONDS = env.int("JOBS_STALE_AFTER_SECONDS", default=120)
JOBS_MAX_RESTARTS = env.int("JOBS_MAX_RESTARTS", default=3)
JOBS_KEEP_DAYS = env.int("JOBS_KEEP_DAYS", default=90)

# RFM scoring. The nightly run is a django-celery-beat periodic task created by
# a migration (analytics-rfm-nightly), not CELERY_BEAT_SCHEDULE, so that its
# time and window set in the admin survive restarts.
RFM_KEEP_RUNS = env.int("RFM_KEEP_RUNS", default=12)
# Customer lifetime value (analytics.btyd): the horizon and monthly discount rate of the CLV figures,
# and how many CLV runs keep their per-customer scores.
CLV_HORIZON_MONTHS = env.int("CLV_HORIZON_MONTHS", default=12)
CLV_DISCOUNT_RATE = env.float("CLV_DISCOUNT_RATE", default=0.01)
CLV_KEEP_RUNS = env.int("CLV_KEEP_RUNS", default=8)
# A customer is "slipping away" when p_alive falls below this since the run before.
CLV_SLIPPING_P_ALIVE = env.float("CLV_SLIPPING_P_ALIVE", default=0.5)

# Django's own console handler would print every django.* line a second time
# through the root's: its records go to the root handler only.
_loggers: dict[str, dict] = {"django": {"handlers": [], "level": "INFO", "propagate": True}}
if not REDIS_URL:
    # The folder broker has no host; kombu warns "No hostname was supplied" on every send.
    _loggers["kombu.connection"] = {"level": "ERROR"}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"forbidden_in_one_line": {"()": "crm_project.log_filters.ForbiddenInOneLine"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["forbidden_in_one_line"]},
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": _loggers,
}
AXES_VERBOSE = False  # no "AXES: BEGIN …" banner on every command

# --- Customers ----------------------------------------------------------------
CRM_ATTACHMENT_MAX_BYTES = env.int("CRM_ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
CRM_ATTACHMENT_EXTENSIONS = env.list(
    "CRM_ATTACHMENT_EXTENSIONS",
    default=["pdf", "png", "jpg", "jpeg", "gif", "webp", "txt", "csv", "docx", "xlsx", "pptx", "odt", "ods", "eml"],
)
# --- Imports (the kit in imports/; every limit is checked before the work it guards) ---------------
# Imports above this many rows run as a background job with progress.
CRM_IMPORT_SYNC_MAX_ROWS = env.int("CRM_IMPORT_SYNC_MAX_ROWS", default=2000)
CRM_IMPORT_MAX_BYTES = env.int("CRM_IMPORT_MAX_BYTES", default=50 * 1024 * 1024)
# An .xlsx file's members added up, and how much larger than packed they may be (zip bombs).
CRM_IMPORT_MAX_UNPACKED_BYTES = env.int("CRM_IMPORT_MAX_UNPACKED_BYTES", default=250 * 1024 * 1024)
CRM_IMPORT_MAX_PACKING_RATIO = env.int("CRM_IMPORT_MAX_PACKING_RATIO", default=100)
# Rows after the header, blank ones included; columns; characters in one cell.
CRM_IMPORT_MAX_ROWS = env.int("CRM_IMPORT_MAX_ROWS", default=1_000_000)
CRM_IMPORT_MAX_COLUMNS = env.int("CRM_IMPORT_MAX_COLUMNS", default=200)
CRM_IMPORT_MAX_CELL_CHARS = env.int("CRM_IMPORT_MAX_CELL_CHARS", default=10_000)
# Files up to this size (unpacked, for .xlsx) are read inside the request; larger ones by the worker.
CRM_IMPORT_SYNC_MAX_BYTES = env.int("CRM_IMPORT_SYNC_MAX_BYTES", default=2 * 1024 * 1024)
# What each import tells the kit about its files (a lower app never names a higher one: they register here).
CRM_IMPORT_KINDS = {
    "customers": "customers.services.imports.CUSTOMERS",
    "orders": "sales.services.order_import.ORDERS",
}

# --- Sales: forecast and reminders ----------------------------------------------
# Open deals at or above this stage probability (%) count as "commit" in the forecast.
CRM_FORECAST_COMMIT_PROBABILITY = env.int("CRM_FORECAST_COMMIT_PROBABILITY", default=75)

# --- Domain events (crm_project/events.py) ------------------------------------------
# Called inside the transaction of every change that emits an event; the webhook outbox listens.
CRM_EVENT_SINKS: list[str] = ["webhooks.sinks.outbox_sink"]

# --- REST API (api/) -------------------------------------------------------------------
REST_FRAMEWORK = {
    # Resources take personal access tokens only; the docs and schema views add the session.
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.ApiTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.TokenScopes"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "burst": env("CRM_API_RATE_BURST", default="120/min"),
        "sustained": env("CRM_API_RATE_SUSTAINED", default="20000/day"),
    },
    "DEFAULT_PAGINATION_CLASS": "api.pagination.IdCursorPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_FILTER_BACKENDS": ["api.filters.FilterBackend"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_standardized_errors.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
DRF_STANDARDIZED_ERRORS = {
    "EXCEPTION_FORMATTER_CLASS": "api.errors.ProblemDetailsFormatter",
    "ENABLE_IN_DEBUG_FOR_UNHANDLED_EXCEPTIONS": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "CRM API",
    "DESCRIPTION": "Customers, sales, analytics, support and marketing, with the same access rules as the pages.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from the drf-spectacular-sidecar package, served by the CRM itself (no CDN).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ValidationErrorEnum": "drf_standardized_errors.openapi_serializers.ValidationErrorEnum.choices",
        "ClientErrorEnum": "drf_standardized_errors.openapi_serializers.ClientErrorEnum.choices",
        "ServerErrorEnum": "drf_standardized_errors.openapi_serializers.ServerErrorEnum.choices",
        # Several models have a `status` or `source` with their own choices: one enum name each.
        "TicketStatusEnum": "support.models.Ticket.Status",
        "CampaignStatusEnum": "marketing.models.Campaign.Status",
        # A customer's consent and a consent log entry's status share one set of choices.
        "ConsentStatusEnum": "customers.models.Customer.Consent",
        "CustomerSourceEnum": "customers.models.Customer.Source",
        "LeadStatusEnum": "sales.models.Lead.Status",
        "DealStatusEnum": "sales.models.Deal.Status",
        "OrderStatusEnum": "sales.models.Order.Status",
        "OrderSourceEnum": "sales.models.Order.Source",
        "TaskPriorityEnum": "sales.models.Task.Priority",
        "TicketPriorityEnum": "support.models.Priority",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_standardized_errors.openapi_hooks.postprocess_schema_enums",
        "drf_spectacular.hooks.postprocess_schema_enums",
    ],
}
# Personal access tokens: django-rest-knox stores a SHA-512 digest, never the token.
# knox's own migrations would create knox_authtoken (a foreign key to the user) although
# KNOX_TOKEN_MODEL swaps it for api.ApiToken: an unused table that also keeps PostgreSQL's
# flush in the tests from truncating the users. All its models are swapped: no tables.
MIGRATION_MODULES = {"knox": None}
KNOX_TOKEN_MODEL = "api.ApiToken"  # noqa: S105  # a model label, not a secret
REST_KNOX = {
    "TOKEN_PREFIX": "crm_",
    "AUTH_HEADER_PREFIX": "Bearer",
    "TOKEN_TTL": None,  # each token's own expiry (api.services.tokens.api_token_create)
    "AUTO_REFRESH": False,
}
CRM_API_TOKEN_DEFAULT_DAYS = env.int("CRM_API_TOKEN_DEFAULT_DAYS", default=90)
CRM_API_TOKEN_MAX_DAYS = env.int("CRM_API_TOKEN_MAX_DAYS", default=365)
# A token's last use is written at most this often (seconds), not on every request.
CRM_API_LAST_USED_INTERVAL = env.int("CRM_API_LAST_USED_INTERVAL", default=60)
CRM_API_PAGE_SIZE_MAX = 100
# How long an Idempotency-Key's stored response is replayed.
CRM_API_IDEMPOTENCY_HOURS = env.int("CRM_API_IDEMPOTENCY_HOURS", default=24)

# --- Outbound webhooks (webhooks/) --------------------------------------------------------
# Endpoints on loopback, link-local or private addresses are refused unless this is on.
CRM_WEBHOOKS_ALLOW_PRIVATE_NETWORKS = env.bool("CRM_WEBHOOKS_ALLOW_PRIVATE_NETWORKS", default=False)
CRM_WEBHOOKS_TIMEOUT_SECONDS = env.float("CRM_WEBHOOKS_TIMEOUT_SECONDS", default=10.0)
# An endpoint failing for this long is disabled and its owner told.
CRM_WEBHOOKS_DISABLE_AFTER_HOURS = env.int("CRM_WEBHOOKS_DISABLE_AFTER_HOURS", default=24)
# Events (with their deliveries and attempts) are kept this long once every delivery has ended.
CRM_WEBHOOKS_KEEP_DAYS = env.int("CRM_WEBHOOKS_KEEP_DAYS", default=30)
# A delivery task sends this many deliveries over one connection.
CRM_WEBHOOKS_BATCH_SIZE = env.int("CRM_WEBHOOKS_BATCH_SIZE", default=50)
# A worker holds the deliveries it is sending this long (renewed at half time while it
# sends); after it, a dead worker's deliveries are sent again by webhooks.deliveries_due.
CRM_WEBHOOKS_LEASE_SECONDS = env.int("CRM_WEBHOOKS_LEASE_SECONDS", default=120)
# The Celery queue of the delivery tasks (None: the default queue). A dedicated queue and
# worker keep webhooks prompt while long jobs run; bench_webhooks uses its own.
CRM_WEBHOOKS_QUEUE = env("CRM_WEBHOOKS_QUEUE", default="") or None
