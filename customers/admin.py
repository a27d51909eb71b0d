from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from accounts.admin import ConfigHistoryAdmin

from . import services
from .models import Attachment, Company, ConsentEvent, Customer, CustomField, Interaction, Tag


@admin.register(Tag)
class TagAdmin(ConfigHistoryAdmin):
    list_display = ("name", "color")
    search_fields = ("name",)


@admin.register(CustomField)
class CustomFieldAdmin(ConfigHistoryAdmin):
    list_display = ("label", "key", "field_type", "required", "position", "is_active")
    list_editable = ("position", "is_active")
    list_filter = ("field_type", "is_active")
    prepopulated_fields = {"key": ("label",)}


class DeletedFilter(admin.SimpleListFilter):
    title = _("deleted")
    parameter_name = "deleted"

    def lookups(self, request, model_admin):
        return [("no", _("Active")), ("yes", _("Deleted"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(deleted_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(deleted_at__isnull=True)
        return queryset


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ("name", "domain", "industry", "size", "country", "owner", "team", "deleted_at")
    list_filter = (DeletedFilter, "size", "team", "country")
    search_fields = ("name", "domain")
    autocomplete_fields = ("owner",)
    list_select_related = ("owner", "team")

    def get_queryset(self, request):
        return Company.all_objects.all()


class ConsentEventInline(admin.TabularInline):
    model = ConsentEvent
    extra = 0
    can_delete = False
    readonly_fields = ("channel", "status", "source", "note", "actor", "created_at")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("__str__", "email", "phone", "company", "lifecycle_stage", "email_consent", "owner", "deleted_at")
    list_filter = (DeletedFilter, "lifecycle_stage", "email_consent", "source", "team", "tags")
    search_fields = ("first_name", "last_name", "email", "phone", "external_ref", "company__name")
    autocomplete_fields = ("owner", "company")
    list_select_related = ("company", "owner")
    readonly_fields = ("phone_normalized", "created_at", "updated_at", "email_consent", "email_consent_at")
    filter_horizontal = ("tags",)
    inlines = [ConsentEventInline]
    actions = ["restore"]

    def get_queryset(self, request):
        return Customer.all_objects.all()

    @admin.action(description=_("Restore the selected deleted customers"))
    def restore(self, request, queryset):
        restored = 0
        for customer in queryset.filter(deleted_at__isnull=False):
            services.customer_restore(customer=customer, actor=request.user)
            restored += 1
        self.message_user(request, _("%(count)d customers restored.") % {"count": restored}, messages.SUCCESS)


@admin.register(ConsentEvent)
class ConsentEventAdmin(admin.ModelAdmin):
    """The consent log is append-only: readable here, never edited."""

    list_display = ("customer", "status", "source", "actor", "created_at")
    list_filter = ("status", "source")
    search_fields = ("customer__email", "customer__last_name")
    list_select_related = ("customer", "actor")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Interaction)
class InteractionAdmin(admin.ModelAdmin):
    list_display = ("summary", "kind", "customer", "company", "user", "occurred_at")
    list_filter = ("kind",)
    search_fields = ("summary", "customer__last_name", "company__name", "action")
    list_select_related = ("customer", "company", "user")
    raw_id_fields = ("customer", "company")


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ("original_name", "customer", "company", "size", "uploaded_by", "uploaded_at")
    search_fields = ("original_name",)
    raw_id_fields = ("customer", "company")
    list_select_related = ("customer", "company", "uploaded_by")
