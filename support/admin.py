"""Admin for the support app. Configuration (calendars, queues, SLA policies and
rules, macros, mailboxes, knowledge-base categories and articles) keeps its
history; tickets, their threads and mail in and out are written by the services
(so they get events, SLA clocks and outbox rows) and are only looked up here."""

import nh3
from django import forms
from django.contrib import admin
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from accounts.admin import ConfigHistoryAdmin, ReadOnlyAdmin

from .models import (
    BusinessCalendar,
    CsatSurvey,
    Holiday,
    InboundEmail,
    KbArticle,
    KbCategory,
    KbVote,
    Macro,
    Mailbox,
    OutboundEmail,
    Queue,
    SlaPolicy,
    SlaRule,
    SlaRuleFiring,
    Ticket,
    TicketAttachment,
    TicketEvent,
    TicketMessage,
    TicketPresence,
)


# --- configuration, with history ---------------------------------------------------------------
class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 1


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(ConfigHistoryAdmin):
    list_display = ("name", "time_zone")
    search_fields = ("name",)
    inlines = [HolidayInline]


@admin.register(Holiday)
class HolidayAdmin(ConfigHistoryAdmin):
    list_display = ("date", "name", "calendar")
    list_filter = ("calendar",)
    list_select_related = ("calendar",)
    date_hierarchy = "date"


@admin.register(Queue)
class QueueAdmin(ConfigHistoryAdmin):
    list_display = ("name", "slug", "team", "inbound_address", "auto_acknowledge", "calendar", "is_active")
    list_filter = ("is_active", "team")
    list_select_related = ("team", "calendar")
    search_fields = ("name", "slug", "inbound_address")
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ("members",)


@admin.register(SlaPolicy)
class SlaPolicyAdmin(ConfigHistoryAdmin):
    list_display = ("name", "priority", "queue", "customer_tag", "first_response_minutes", "resolution_minutes")
    list_filter = ("priority", "queue", "is_active")
    list_select_related = ("queue", "customer_tag")
    search_fields = ("name",)


@admin.register(SlaRule)
class SlaRuleAdmin(ConfigHistoryAdmin):
    list_display = ("name", "when", "target", "minutes_before", "action", "queue", "reassign_to", "is_active")
    list_filter = ("when", "target", "action", "is_active")
    list_select_related = ("queue", "reassign_to")
    autocomplete_fields = ("reassign_to",)
    search_fields = ("name",)


@admin.register(Macro)
class MacroAdmin(ConfigHistoryAdmin):
    list_display = ("name", "queue", "set_status", "assign_to_me", "is_active")
    list_filter = ("is_active", "queue")
    list_select_related = ("queue",)
    search_fields = ("name", "body")
    filter_horizontal = ("add_tags",)


SECRET_FIELDS = ("password", "oauth_client_secret", "oauth_refresh_token")


class MailboxForm(forms.ModelForm):
    """Secrets are typed, never shown: an empty field keeps the stored value."""

    oauth_token_url = forms.URLField(label=_("OAuth2 token URL"), required=False, assume_scheme="https")

    class Meta:
        model = Mailbox
        fields = [
            "queue", "host", "port", "username", "auth", "password", "oauth_token_url", "oauth_client_id",
            "oauth_client_secret", "oauth_refresh_token", "folder", "is_active",
        ]  # fmt: skip
        widgets = {name: forms.PasswordInput(render_value=False) for name in SECRET_FIELDS}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in SECRET_FIELDS:
            stored = bool(self.instance.pk and getattr(self.instance, name))
            self.fields[name].help_text = _("Stored; leave empty to keep it.") if stored else ""

    def clean(self):
        cleaned = super().clean() or {}
        for name in SECRET_FIELDS:
            if not cleaned.get(name) and self.instance.pk:
                cleaned[name] = getattr(type(self.instance).objects.get(pk=self.instance.pk), name)
        return cleaned


@admin.register(Mailbox)
class MailboxAdmin(ConfigHistoryAdmin):
    form = MailboxForm
    list_display = ("__str__", "queue", "auth", "folder", "is_active", "last_fetched_at")
    list_filter = ("is_active", "auth")
    list_select_related = ("queue",)
    readonly_fields = ("last_fetched_at", "last_error")


@admin.register(KbCategory)
class KbCategoryAdmin(ConfigHistoryAdmin):
    list_display = ("name", "slug", "position")
    list_editable = ("position",)
    prepopulated_fields = {"slug": ("name",)}
    search_fields = ("name",)


class KbArticleForm(forms.ModelForm):
    class Meta:
        model = KbArticle
        fields = ["category", "title", "slug", "body", "status", "visibility", "author"]

    def clean_body(self):
        # As the knowledge-base pages do: scripts and unsafe attributes never reach a reader.
        return nh3.clean(self.cleaned_data["body"])


@admin.register(KbArticle)
class KbArticleAdmin(ConfigHistoryAdmin):
    form = KbArticleForm
    list_display = ("title", "category", "status", "visibility", "helpful_yes", "helpful_no", "updated_at")
    list_filter = ("status", "visibility", "category")
    list_select_related = ("category",)
    search_fields = ("title", "body")
    prepopulated_fields = {"slug": ("title",)}
    autocomplete_fields = ("author",)


# --- written by the services: looked up here ------------------------------------------------------
@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "customer", "queue", "status", "priority", "assignee", "created_at", "resolution_due")
    list_filter = ("status", "priority", "queue", "channel")
    list_select_related = ("customer", "queue", "assignee")
    search_fields = ("=id", "subject", "customer__email", "customer__last_name")
    date_hierarchy = "created_at"
    raw_id_fields = ("customer", "merged_into")


@admin.register(TicketMessage)
class TicketMessageAdmin(ReadOnlyAdmin):
    list_display = ("ticket", "kind", "author", "from_address", "created_at", "__str__")
    list_filter = ("kind", "from_customer")
    list_select_related = ("ticket", "author")
    search_fields = ("=ticket__id", "message_id", "from_address")
    raw_id_fields = ("ticket",)


@admin.register(TicketEvent)
class TicketEventAdmin(ReadOnlyAdmin):
    list_display = ("ticket", "action", "old_value", "new_value", "actor", "created_at")
    list_filter = ("action",)
    list_select_related = ("ticket", "actor")
    search_fields = ("=ticket__id",)
    date_hierarchy = "created_at"


@admin.register(TicketAttachment)
class TicketAttachmentAdmin(ReadOnlyAdmin):
    list_display = ("original_name", "ticket", "size", "content_type", "created_at")
    list_select_related = ("ticket",)
    search_fields = ("=ticket__id", "original_name")
    exclude = ("file",)  # downloaded through the ticket's access helper, never from the admin


@admin.register(InboundEmail)
class InboundEmailAdmin(ReadOnlyAdmin):
    list_display = ("subject", "from_address", "received_at", "source", "outcome", "raw_size", "ticket")
    list_filter = ("outcome", "source", "queue")
    list_select_related = ("ticket",)
    search_fields = ("message_id", "from_address", "subject")
    date_hierarchy = "received_at"
    exclude = ("raw",)  # the raw message can be large and carries whatever the sender put in it
    readonly_fields = ("raw_size",)

    @admin.display(description=_("size"), ordering="size")
    def raw_size(self, obj):
        return filesizeformat(obj.size)


@admin.register(OutboundEmail)
class OutboundEmailAdmin(ReadOnlyAdmin):
    list_display = ("to_address", "subject", "kind", "status", "attempts", "created_at", "sent_at")
    list_filter = ("status", "kind")
    search_fields = ("to_address", "subject", "message_id", "=ticket__id")
    date_hierarchy = "created_at"


@admin.register(SlaRuleFiring)
class SlaRuleFiringAdmin(ReadOnlyAdmin):
    list_display = ("rule", "ticket", "fired_at")
    list_filter = ("rule",)
    list_select_related = ("rule", "ticket")


@admin.register(TicketPresence)
class TicketPresenceAdmin(ReadOnlyAdmin):
    list_display = ("ticket", "user", "replying", "seen_at")
    list_select_related = ("ticket", "user")


@admin.register(KbVote)
class KbVoteAdmin(ReadOnlyAdmin):
    list_display = ("article", "helpful", "created_at")
    list_filter = ("helpful",)
    list_select_related = ("article",)


@admin.register(CsatSurvey)
class CsatSurveyAdmin(ReadOnlyAdmin):
    list_display = ("ticket", "agent", "queue", "score", "sent_at", "answered_at")
    list_filter = ("score", "queue")
    list_select_related = ("ticket", "agent", "queue")
    date_hierarchy = "sent_at"
