"""Filters for the customer and company lists (also used by exports and bulk actions)."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Team, User
from analytics.models import RfmSegment
from analytics.selectors.rfm import rfm_filter_customers

from .models import Company, Customer, CustomField, Tag
from .selectors.customers import company_search, customer_search


def _users(request):
    return User.objects.filter(is_active=True).order_by("first_name", "last_name") if request else User.objects.none()


class CustomerFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="search",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Name, email, phone, company")}),
    )
    owner = django_filters.ModelChoiceFilter(label=_("Owner"), queryset=_users)
    team = django_filters.ModelChoiceFilter(label=_("Team"), queryset=Team.objects.all())
    tag = django_filters.ModelChoiceFilter(label=_("Tag"), field_name="tags", queryset=Tag.objects.all())
    lifecycle_stage = django_filters.ChoiceFilter(label=_("Stage"), choices=Customer.Stage.choices)
    country = django_filters.CharFilter(
        label=_("Country"), lookup_expr="iexact", widget=forms.TextInput(attrs={"maxlength": 2, "placeholder": "DE"})
    )
    email_consent = django_filters.ChoiceFilter(label=_("Email consent"), choices=Customer.Consent.choices)
    created_after = django_filters.DateFilter(
        label=_("Created from"),
        field_name="created_at",
        lookup_expr="date__gte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    created_before = django_filters.DateFilter(
        label=_("Created until"),
        field_name="created_at",
        lookup_expr="date__lte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    # RFM drill-downs (analytics): a segment or R+F cell of a run (default: the latest),
    # optionally only customers who were in another segment in an earlier run.
    rfm_segment = django_filters.ModelChoiceFilter(
        label=_("RFM segment"), queryset=RfmSegment.objects.all(), method="filter_later"
    )
    rfm_cell = django_filters.CharFilter(widget=forms.HiddenInput, method="filter_later")
    rfm_run = django_filters.NumberFilter(widget=forms.HiddenInput, method="filter_later")
    rfm_from_run = django_filters.NumberFilter(widget=forms.HiddenInput, method="filter_later")
    rfm_from_segment = django_filters.CharFilter(widget=forms.HiddenInput, method="filter_later")

    class Meta:
        model = Customer
        fields = ["q", "owner", "team", "tag", "lifecycle_stage", "country", "email_consent"]

    def __init__(self, *args, custom_fields: list[CustomField] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        for field in custom_fields or []:
            self.filters[f"cf_{field.key}"] = _custom_field_filter(field)

    def search(self, queryset, name, value):
        return customer_search(queryset, value) if value.strip() else queryset

    def filter_later(self, queryset, name, value):
        return queryset  # the RFM filters work together, in filter_queryset

    def filter_queryset(self, queryset):
        data = self.form.cleaned_data
        segment = data.get("rfm_segment")
        return rfm_filter_customers(
            super().filter_queryset(queryset),
            run_id=data.get("rfm_run"),
            segment=str(segment.pk) if segment else None,
            cell=data.get("rfm_cell") or None,
            from_run_id=data.get("rfm_from_run"),
            from_segment=data.get("rfm_from_segment") or None,
        )


def _custom_field_filter(field: CustomField) -> django_filters.Filter:
    lookup = f"custom_data__{field.key}"
    if field.field_type == CustomField.Type.CHOICE:
        return django_filters.ChoiceFilter(
            label=field.label, field_name=lookup, choices=[(c, c) for c in field.choice_list]
        )
    if field.field_type == CustomField.Type.DATE:
        return django_filters.DateFilter(
            label=field.label,
            field_name=lookup,
            widget=forms.DateInput(attrs={"type": "date"}),
            method=lambda qs, name, value: qs.filter(**{name: value.isoformat()}),
        )
    if field.field_type == CustomField.Type.NUMBER:
        return django_filters.NumberFilter(label=field.label, field_name=lookup)
    return django_filters.CharFilter(label=field.label, field_name=lookup, lookup_expr="icontains")


class CompanyFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="search",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Name or domain")}),
    )
    owner = django_filters.ModelChoiceFilter(label=_("Owner"), queryset=_users)
    industry = django_filters.CharFilter(label=_("Industry"), lookup_expr="icontains")
    size = django_filters.ChoiceFilter(label=_("Size"), choices=Company.Size.choices)
    country = django_filters.CharFilter(label=_("Country"), lookup_expr="iexact")

    class Meta:
        model = Company
        fields = ["q", "owner", "industry", "size", "country"]

    def search(self, queryset, name, value):
        return company_search(queryset, value) if value.strip() else queryset
