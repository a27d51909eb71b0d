from django.contrib import admin

from accounts.admin import ConfigHistoryAdmin

from .models import RfmRun, RfmSegment


@admin.register(RfmSegment)
class RfmSegmentAdmin(ConfigHistoryAdmin):
    """The segment rules: applied by position, a later match overriding an earlier one."""

    list_display = ["position", "name", "pattern", "color", "meaning"]
    list_display_links = ["name"]
    list_editable = ["position", "pattern"]
    ordering = ["position", "pk"]


@admin.register(RfmRun)
class RfmRunAdmin(admin.ModelAdmin):
    """Runs are written by the scoring service only; the admin shows them."""

    list_display = ["pk", "as_of", "window_days", "n_scored", "trigger", "triggered_by", "finished_at", "scores_kept"]
    list_filter = ["trigger", "scores_kept"]
    readonly_fields = [field.name for field in RfmRun._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
