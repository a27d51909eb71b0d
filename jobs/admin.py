from django.contrib import admin

from .models import JobRun


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin):
    list_display = ("name", "status", "restarts", "trigger", "triggered_by", "created_at", "started_at", "finished_at")
    list_filter = ("status", "trigger", "name")
    search_fields = ("name", "task_id", "error")
    readonly_fields = [f.name for f in JobRun._meta.fields]
    date_hierarchy = "created_at"
