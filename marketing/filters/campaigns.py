"""Filters of the email template and campaign lists."""

from datetime import datetime, time, timedelta

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm_project.lists import DateInputFilter

from ..models import Campaign, EmailTemplate


def _start_of(day) -> datetime:
    """Midnight of a day in the CRM's time zone (a range on the column, not __date)."""
    return timezone.make_aware(datetime.combine(day, time()))


class TemplateFilter(django_filters.FilterSet):
    main_filters = ("q", "updated_after", "updated_before")
    q = django_filters.CharFilter(
        label=_("Search"),
        method="search",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Name or subject")}),
    )
    updated_after = DateInputFilter(label=_("Updated from"), method="updated_from")
    updated_before = DateInputFilter(label=_("Updated until"), method="updated_until")

    class Meta:
        model = EmailTemplate
        fields = ["q", "updated_after", "updated_before"]

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(name__icontains=value) | Q(subject__icontains=value)) if value else queryset

    def updated_from(self, queryset, name, value):
        return queryset.filter(updated_at__gte=_start_of(value))

    def updated_until(self, queryset, name, value):
        return queryset.filter(updated_at__lt=_start_of(value + timedelta(days=1)))


class CampaignFilter(django_filters.FilterSet):
    main_filters = ("q", "status", "template")
    q = django_filters.CharFilter(
        label=_("Search"),
        method="search",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Campaign or template name")}),
    )
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Campaign.Status.choices)
    template = django_filters.ModelChoiceFilter(
        label=_("Template"), queryset=EmailTemplate.objects.only("pk", "name").order_by("name")
    )

    class Meta:
        model = Campaign
        fields = ["q", "status", "template"]

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(name__icontains=value) | Q(template__name__icontains=value)) if value else queryset
