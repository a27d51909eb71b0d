"""Settings for a developer's machine and `make run`: embedded defaults, debug on."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
# Only for local use; production refuses to start without its own key.
SECRET_KEY = env("DJANGO_SECRET_KEY", default="local-dev-only-insecure-key-do-not-use-in-production")
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
CRM_DEMO_DATA_ALLOWED = True
