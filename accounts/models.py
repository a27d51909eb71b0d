from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .history import ConfigHistory


# django-stubs cannot type the reverse manager of api.ApiToken (its base, knox, ships no types).
class User(AbstractUser):  # type: ignore[django-manager-missing]
    """A CRM user. Roles are Django groups (see accounts.roles)."""

    # Who is in which role (groups) and the account's fields; never the password hash, nor the
    # login bookkeeping (the admin form also drops date_joined's microseconds on every save).
    history = ConfigHistory(
        excluded_fields=["password", "last_login", "date_joined", "language", "time_zone"], m2m_fields=["groups"]
    )

    # Blank: the browser's language, and the CRM's time zone (TIME_ZONE).
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["first_name", "last_name", "username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class Team(models.Model):
    """A group of users led by a manager. Records carry the team they belong to."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("manager"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="managed_teams",
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("members"), related_name="teams", blank=True
    )

    history = ConfigHistory(m2m_fields=["members"])

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Notification(models.Model):
    """An in-app message for one user (the bell in the top bar)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="notifications"
    )
    text = models.CharField(_("text"), max_length=500)
    url = models.CharField(_("link"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "read_at", "-created_at"], name="notification_user_idx")]

    def __str__(self) -> str:
        return self.text


class SavedView(models.Model):
    """A list's filters, sort and columns saved under a name: the owner's own,
    or shared with one of their teams (then every member and the manager see it).

    `list_key` is the list's URL name ("customers:customer-list"); `query` the
    list's query string without the page. It is user data, so it is re-validated
    through the list's FilterSet every time it is applied, never trusted."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.CASCADE, related_name="saved_views"
    )
    # Empty: only the owner sees it. A deleted team leaves the view to its owner.
    team = models.ForeignKey(
        Team, verbose_name=_("team"), on_delete=models.SET_NULL, null=True, blank=True, related_name="saved_views"
    )
    list_key = models.CharField(_("list"), max_length=100)
    name = models.CharField(_("name"), max_length=80)
    query = models.CharField(_("filters"), max_length=2000, blank=True)
    # The optional columns shown, in the table's order; None: the table's own choice.
    columns = models.JSONField(_("columns"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "list_key", "name"], name="saved_view_owner_name_unique"),
        ]
        indexes = [
            models.Index(fields=["list_key", "owner"], name="saved_view_owner_idx"),
            models.Index(fields=["list_key", "team"], name="saved_view_team_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class SavedViewDefault(models.Model):
    """The view a user's list opens with when its URL carries no query string.

    A row per (user, list) rather than a flag on SavedView: a user may pick a
    teammate's shared view as their default, which a flag on the shared row
    would impose on the whole team."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="+"
    )
    list_key = models.CharField(_("list"), max_length=100)
    view = models.ForeignKey(SavedView, verbose_name=_("view"), on_delete=models.CASCADE, related_name="defaults")

    class Meta:
        verbose_name = _("default view")
        verbose_name_plural = _("default views")
        constraints = [
            models.UniqueConstraint(fields=["user", "list_key"], name="saved_view_default_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.view}"
