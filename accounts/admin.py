from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Count
from django.utils.translation import gettext as _
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

from .models import Notification, SavedView, Team, User


class ConfigHistoryContextHelper(HistoricalRecordContextHelper):
    """Changes read as people see the values: choice labels and yes/no, not stored codes."""

    def prepare_delta_change_value(self, change, value):
        field = self.model._meta.get_field(change.field)
        if field.choices and not field.many_to_many:
            return dict(field.flatchoices).get(value, value)
        if isinstance(value, bool):
            return _("Yes") if value else _("No")
        return super().prepare_delta_change_value(change, value)


class ConfigHistoryAdmin(SimpleHistoryAdmin):
    """Admin with a History page listing who changed what, from which value to which."""

    def get_historical_record_context_helper(self, request, historical_record):
        return ConfigHistoryContextHelper(self.model, historical_record)

    def history_view_title(self, request, obj):
        return _("History: %(object)s") % {"object": obj}


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records written only by the CRM's services (stage changes, activities, job
    runs): the admin looks them up and never adds or edits one."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(User)
class UserAdmin(DjangoUserAdmin, ConfigHistoryAdmin):
    list_display = ("username", "email", "first_name", "last_name", "is_staff", "is_active", "role_list")
    list_filter = ("groups", "is_staff", "is_superuser", "is_active", "teams")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description="Roles")
    def role_list(self, obj):
        return ", ".join(group.name for group in obj.groups.all())


@admin.register(Team)
class TeamAdmin(ConfigHistoryAdmin):
    list_display = ("name", "manager", "member_count")
    search_fields = ("name", "manager__username", "members__username")
    filter_horizontal = ("members",)
    autocomplete_fields = ("manager",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("manager").annotate(_members=Count("members"))

    @admin.display(description="Members", ordering="_members")
    def member_count(self, obj):
        return obj._members


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("user", "text", "created_at", "read_at")
    list_filter = ("read_at",)
    search_fields = ("user__username", "text")
    list_select_related = ("user",)


@admin.register(SavedView)
class SavedViewAdmin(admin.ModelAdmin):
    """Users' saved list views: user data, so no history; the admin may clean up or reassign."""

    list_display = ("name", "list_key", "owner", "team", "updated_at")
    list_filter = ("list_key", "team")
    search_fields = ("name", "owner__username")
    list_select_related = ("owner", "team")
    raw_id_fields = ("owner",)
