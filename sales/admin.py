"""Admin for the sales app: lookups and fixes. Deals move and open in the app (so they get a
stage history and a timeline entry); here their stage and status are read-only."""

from django.conf import settings
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts.admin import ConfigHistoryAdmin, ConfigHistoryContextHelper, ReadOnlyAdmin

from .models import (
    AssignmentRule,
    Deal,
    DealProduct,
    DealStageChange,
    Lead,
    LeadActivity,
    Order,
    OrderLine,
    Pipeline,
    Product,
    Stage,
    Target,
    Task,
)
from .templatetags.sales_tags import money


@admin.display(description=_("amount"), ordering="amount")
def amount_with_currency(obj):
    return money(obj.amount, obj.currency)


class StageInline(admin.TabularInline):
    model = Stage
    fields = ("name", "position", "probability", "is_won", "is_lost")
    extra = 1
    ordering = ("position", "pk")


@admin.register(Pipeline)
class PipelineAdmin(ConfigHistoryAdmin):
    list_display = ("name", "is_default", "position", "stuck_after_days")
    list_editable = ("position",)
    search_fields = ("name",)
    inlines = [StageInline]
    object_history_template = "admin/sales/pipeline/object_history.html"

    def history_view(self, request, object_id, extra_context=None):
        # Stages are edited with their pipeline, so their changes are listed on its History page too.
        context = {"stage_changes": self._stage_changes(object_id), **(extra_context or {})}
        return super().history_view(request, object_id, extra_context=context)

    def _stage_changes(self, pipeline_id, limit=100):
        """The latest changes to the pipeline's stages (deleted ones included), each with its old → new."""
        records = list(
            Stage.history.filter(pipeline_id=pipeline_id)
            .select_related("history_user")
            .order_by("history_date", "history_id")
        )
        previous: dict[int, object] = {}
        for record in records:
            if record.id in previous:
                delta = record.diff_against(previous[record.id])
                helper = ConfigHistoryContextHelper(Stage, record)
                record.history_delta_changes = helper.context_for_delta_changes(delta)
            previous[record.id] = record
        return records[::-1][:limit]


@admin.register(Stage)
class StageAdmin(ConfigHistoryAdmin):
    """Read-only: stages are edited with their pipeline. Here for lookups and each stage's History page."""

    list_display = ("name", "pipeline", "position", "probability", "is_won", "is_lost")
    list_filter = ("pipeline",)
    list_select_related = ("pipeline",)
    search_fields = ("name", "pipeline__name")
    ordering = ("pipeline", "position", "pk")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class DealProductInline(admin.TabularInline):
    model = DealProduct
    extra = 0
    autocomplete_fields = ("product",)


@admin.register(Deal)
class DealAdmin(admin.ModelAdmin):
    list_display = (
        "title",
        "customer",
        "pipeline",
        "stage",
        "status",
        amount_with_currency,
        "expected_close_date",
        "owner",
    )
    list_filter = ("status", "pipeline", "stage", "team", "currency")
    search_fields = ("title", "customer__last_name", "customer__first_name", "customer__email")
    date_hierarchy = "expected_close_date"
    list_select_related = ("customer", "pipeline", "stage", "owner")
    autocomplete_fields = ("customer", "company", "owner")
    readonly_fields = ("pipeline", "stage", "status", "stage_changed_at", "closed_at", "created_at", "updated_at")
    inlines = [DealProductInline]

    def has_add_permission(self, request):
        return False


@admin.register(Product)
class ProductAdmin(ConfigHistoryAdmin):
    list_display = ("name", "sku", "price_with_currency", "is_active")
    list_filter = ("is_active", "currency")
    list_editable = ("is_active",)
    search_fields = ("name", "sku")

    @admin.display(description=_("price"), ordering="price")
    def price_with_currency(self, obj):
        return money(obj.price, obj.currency)


@admin.register(Target)
class TargetAdmin(ConfigHistoryAdmin):
    list_display = ("month", "user", "team", "target_amount")
    list_filter = ("month", "team")
    search_fields = ("user__username", "user__first_name", "user__last_name", "team__name")
    list_select_related = ("user", "team")
    date_hierarchy = "month"

    @admin.display(description=_("amount"), ordering="amount")
    def target_amount(self, obj):
        return money(obj.amount, settings.CRM_CURRENCY)


@admin.register(AssignmentRule)
class AssignmentRuleAdmin(ConfigHistoryAdmin):
    list_display = ("__str__", "source", "strategy", "team", "user", "position", "is_active", "last_assigned")
    list_editable = ("position", "is_active")
    list_filter = ("strategy", "source", "is_active")
    list_select_related = ("team", "user", "last_assigned")


@admin.register(Lead)
class LeadAdmin(admin.ModelAdmin):
    list_display = ("full_name", "email", "company_name", "source", "status", "owner", "team", "created_at")
    list_filter = ("status", "source", "team")
    search_fields = ("first_name", "last_name", "email", "company_name")
    list_select_related = ("owner", "team")
    autocomplete_fields = ("owner", "customer")
    readonly_fields = ("converted_at", "deal", "created_at", "updated_at")
    date_hierarchy = "created_at"

    @admin.display(description=_("name"), ordering="last_name")
    def full_name(self, obj):
        return obj.full_name


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ("title", "owner", "due_at", "done_at", "priority", "customer", "deal", "lead")
    list_filter = ("priority", ("done_at", admin.EmptyFieldListFilter), "team")
    search_fields = ("title", "notes")
    list_select_related = ("owner", "customer", "deal", "lead")
    raw_id_fields = ("customer", "deal", "lead")
    autocomplete_fields = ("owner",)
    date_hierarchy = "due_at"


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    raw_id_fields = ("product",)


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("__str__", "customer", "ordered_at", "status", "total_with_currency", "source")
    list_filter = ("status", "source", "currency")
    search_fields = ("order_ref", "customer__last_name", "customer__first_name", "customer__external_ref")
    list_select_related = ("customer",)
    raw_id_fields = ("customer", "deal")
    date_hierarchy = "ordered_at"
    inlines = [OrderLineInline]

    @admin.display(description=_("total"), ordering="total")
    def total_with_currency(self, obj):
        return money(obj.total, obj.currency)


@admin.register(DealStageChange)
class DealStageChangeAdmin(ReadOnlyAdmin):
    """Written when a deal moves; the forecast and stage durations read them."""

    list_display = ("deal", "from_stage", "to_stage", "changed_at", "actor", "time_in_previous_stage")
    list_filter = ("to_stage__pipeline", "to_stage")
    search_fields = ("deal__title",)
    list_select_related = ("deal", "from_stage", "to_stage", "actor")
    date_hierarchy = "changed_at"


@admin.register(LeadActivity)
class LeadActivityAdmin(ReadOnlyAdmin):
    """A lead's timeline, written by the lead services."""

    list_display = ("lead", "kind", "summary", "user", "occurred_at")
    list_filter = ("kind",)
    search_fields = ("summary", "lead__last_name", "lead__email")
    list_select_related = ("lead", "user")
    date_hierarchy = "occurred_at"
