"""Filters for the customer and company lists (also used by exports and bulk actions)."""

import django_filters
from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accounts.models import Team, User
from accounts.selectors import active_users
from crm_project.lists import DateInputFilter, SharedFormFilterSet

from . import registry
from .models import Company, Customer, CustomField, Tag
from .selectors.customers import company_search, customer_search


def _users(request):
    return active_users() if request else User.objects.none()


class CustomerFilter(SharedFormFilterSet):
    # Inline in the filter bar; the others go behind "More filters".
    main_filters = ("q", "owner", "lifecycle_stage")
    q = django_filters.CharFilter(
        label=_("Search"),
        method="search",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Name, email, phone, company")}),
    )
    owner = django_filters.ModelChoiceFilter(label=_("Owner"), queryset=_users)  # type: ignore[arg-type]  # stubs omit callable querysets
    team = django_filters.ModelChoiceFilter(label=_("Team"), queryset=Team.objects.all())
    tag = django_filters.ModelChoiceFilter(label=_("Tag"), field_name="tags", queryset=Tag.objects.all())
    lifecycle_stage = django_filters.ChoiceFilter(label=_("Stage"), choices=Customer.Stage.choices)
    country = django_filters.CharFilter(
        label=_("Country"), lookup_expr="iexact", widget=forms.TextInput(attrs={"maxlength": 2, "placeholder": "DE"})
    )
    email_consent = django_filters.ChoiceFilter(label=_("Email consent"), choices=Customer.Consent.choices)
    created_after = DateInputFilter(
        label=_("Created from"),
        field_name="created_at",
        lookup_expr="date__gte",
    )
    created_before = DateInputFilter(
        label=_("Created until"),
        field_name="created_at",
        lookup_expr="date__lte",
    )

    class Meta:
        model = Customer
        fields = ["q", "owner", "team", "tag", "lifecycle_stage", "country", "email_consent"]

    def __init__(self, *args, custom_fields: list[CustomField] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.custom_fields = custom_fields or []
        for field in self.custom_fields:
            self.filters[f"cf_{field.key}"] = _custom_field_filter(field)
        self.extensions = registry.customer_list_filters()
        for extension in self.extensions:
            self.filters.update(extension.declare())

    def form_shape(self) -> tuple:
        """The filters beyond the declared ones: one per active custom field (_custom_field_filter
        reads these attributes), and the other apps' (settings; their declare() is the same on
        every call, see registry.CustomerListFilters)."""
        fields = tuple((f.key, f.field_type, f.label, tuple(f.choice_list)) for f in self.custom_fields)
        return fields, tuple(settings.CRM_CUSTOMER_LIST_FILTERS)

    def search(self, queryset, name, value):
        return customer_search(queryset, value) if value.strip() else queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        for extension in self.extensions:
            queryset = extension.apply(queryset, self.form.cleaned_data)
        return queryset


def _custom_field_filter(field: CustomField) -> django_filters.Filter:
    lookup = f"custom_data__{field.key}"
    if field.field_type == CustomField.Type.CHOICE:
        return django_filters.ChoiceFilter(
            label=field.label, field_name=lookup, choices=[(c, c) for c in field.choice_list]
        )
    if field.field_type == CustomField.Type.DATE:
        return DateInputFilter(
            label=field.label,
            field_name=lookup,
            method=lambda qs, name, value: qs.filter(**{name: value.isoformat()}),
        )
    if field.field_type == CustomField.Type.NUMBER:
        return django_filters.NumberFilter(label=field.label, field_name=lookup)
    return django_filters.CharFilter(label=field.label, field_name=lookup, lookup_expr="icontains")


class CompanyFilter(django_filters.FilterSet):
    # Inline in the filter bar; the others go behind "More filters".
    main_filters = ("q", "owner", "industry")
    q = django_filters.CharFilter(
        label=_("Search"),
        method="search",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Name or domain")}),
    )
    owner = django_filters.ModelChoiceFilter(label=_("Owner"), queryset=_users)  # type: ignore[arg-type]  # stubs omit callable querysets
    industry = django_filters.CharFilter(label=_("Industry"), lookup_expr="icontains")
    size = django_filters.ChoiceFilter(label=_("Size"), choices=Company.Size.choices)
    country = django_filters.CharFilter(label=_("Country"), lookup_expr="iexact")

    class Meta:
        model = Company
        fields = ["q", "owner", "industry", "size", "country"]

    def search(self, queryset, name, value):
        return company_search(queryset, value) if value.strip() else queryset
