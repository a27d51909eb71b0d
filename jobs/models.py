from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class JobRun(models.Model):
    """One run of a background job: what users read to know "did it run?"."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", _("Schedule")
        USER = "user", _("User")
        COMMAND = "command", _("Command")

    name = models.CharField(_("job"), max_length=100)
    task_id = models.CharField(_("task id"), max_length=64, unique=True, null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.QUEUED)
    trigger = models.CharField(_("started by"), max_length=16, choices=Trigger, default=Trigger.SCHEDULE)
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("queued at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)
    progress_done = models.PositiveIntegerField(_("done"), default=0)
    progress_total = models.PositiveIntegerField(_("total"), null=True, blank=True)
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    # What housekeeping needs to send the task again when its worker died.
    args = models.JSONField(_("arguments"), default=list, blank=True)
    kwargs = models.JSONField(_("keyword arguments"), default=dict, blank=True)
    restarts = models.PositiveSmallIntegerField(_("restarts"), default=0)
    # "host:pid:process start" of the process running it; only that process may report on it.
    worker = models.CharField(_("worker"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("job run")
        verbose_name_plural = _("job runs")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["-created_at"], name="jobrun_created_idx"),
            models.Index(fields=["name", "-created_at"], name="jobrun_name_created_idx"),
            models.Index(fields=["status", "heartbeat_at"], name="jobrun_status_heartbeat_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_status_display()})"

    @property
    def is_running(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def is_restarted(self) -> bool:
        """Sent again after a worker stopped, and not finished yet."""
        return self.is_running and self.restarts > 0

    @property
    def status_label(self) -> str:
        if self.is_restarted:
            return str(_("Retrying after a worker stopped"))
        return str(self.get_status_display())

    @property
    def duration(self) -> timedelta | None:
        if self.started_at and self.finished_at:
            return self.finished_at - self.started_at
        return None

    @property
    def progress_percent(self) -> int | None:
        if not self.progress_total:
            return None
        return min(100, round(100 * self.progress_done / self.progress_total))
