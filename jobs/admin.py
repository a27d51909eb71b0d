from django.contrib import admin

from accounts.admin import ReadOnlyAdmin

from .models import JobRun


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyAdmin):
    """Runs are written by the job log; deleting old ones is allowed (housekeeping does it too)."""

    list_display = ("name", "status", "restarts", "trigger", "triggered_by", "created_at", "started_at", "finished_at")
    list_filter = ("status", "trigger", "name")
    search_fields = ("name", "task_id", "error")
    date_hierarchy = "created_at"
