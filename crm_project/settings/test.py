"""Settings for the test suite."""

from .base import *  # noqa: F403
from .base import env

SECRET_KEY = "test-only-secret-key"  # noqa: S105
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# A worker started by the mail tests sends through SMTP to the sink the test runs.
if env("CRM_TEST_EMAIL_URL", default=""):
    vars().update(env.email_url("CRM_TEST_EMAIL_URL"))
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
# Unit tests run tasks inline; the real-worker tests switch this off.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
# A worker started by the tests must reach the same test database.
if env("CRM_TEST_DB_NAME", default=""):
    DATABASES["default"]["NAME"] = env("CRM_TEST_DB_NAME")  # noqa: F405
# Tests should not depend on a cache shared between runs.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CRM_DEMO_DATA_ALLOWED = True
# A test-only app with models that exercise crm_project.access.
INSTALLED_APPS = [*INSTALLED_APPS, "crm_project.tests.scoping"]  # noqa: F405
# Serve static files from the finders, as in development (no collectstatic in tests).
WHITENOISE_AUTOREFRESH = True
# Live-server request threads must not keep connections open past the test
# (PostgreSQL then refuses to drop the test database).
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
# Test-only jobs, for the workers the real-worker tests start.
CELERY_IMPORTS = ["jobs.tests.tasks"]
