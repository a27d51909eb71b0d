"""Personal access tokens and the responses kept for Idempotency-Key replays."""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from knox.models import AbstractAuthToken

READ, WRITE = "read", "write"
SCOPES = {READ: _("Read"), WRITE: _("Write")}
# The apps a token may be limited to; each API view names its own (`api_app`).
APPS = {
    "customers": _("Customers"),
    "sales": _("Sales"),
    "analytics": _("Analytics"),
    "support": _("Support"),
    "marketing": _("Marketing"),
}


class ApiToken(AbstractAuthToken):
    """A personal access token. knox keeps the SHA-512 digest (the primary key) and the
    first characters (`token_key`) to find it; the token itself is shown once."""

    # Redeclared for a related name of our own (knox's `auth_token_set` is not used).
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    scopes = models.JSONField(_("scopes"), default=list)
    # Empty: every app the user may use; otherwise only these (keys of APPS).
    apps = models.JSONField(_("apps"), default=list, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.name} ({self.token_key}…)"

    @property
    def is_expired(self) -> bool:
        return self.expiry is not None and self.expiry <= timezone.now()

    def allows(self, *, scope: str, app: str | None) -> bool:
        if scope not in self.scopes:
            return False
        return not self.apps or app in self.apps


class IdempotencyKey(models.Model):
    """The first response to a POST with an `Idempotency-Key`, replayed to its retries."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    # SHA-256 of method, path and body: the same key with another request is refused.
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField(encoder=DjangoJSONEncoder, null=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="api_idempotency_key_unique")]

    def __str__(self) -> str:
        return self.key
