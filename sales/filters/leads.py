"""Filters for the lead list."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Team
from accounts.selectors import assignable_users
from crm_project.lists import DateInputFilter

from ..models import Lead
from ..selectors.leads import lead_search


def _owners(request):
    return assignable_users() if request else assignable_users().none()


class LeadFilter(django_filters.FilterSet):
    # Inline in the filter bar; the others go behind "More filters".
    main_filters = ("q", "status", "owner")
    q = django_filters.CharFilter(
        label=_("Search"),
        method="search",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Name, email, company")}),
    )
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Lead.Status.choices)
    source = django_filters.ChoiceFilter(label=_("Source"), choices=Lead._meta.get_field("source").choices)
    owner = django_filters.ModelChoiceFilter(label=_("Owner"), queryset=_owners, null_label=_("Nobody"))  # type: ignore[arg-type]  # stubs omit callable querysets
    team = django_filters.ModelChoiceFilter(label=_("Team"), queryset=Team.objects.order_by("name"))
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
        model = Lead
        fields = ["q", "status", "source", "owner", "team"]

    def search(self, queryset, name, value):
        return lead_search(queryset, value) if value.strip() else queryset
