"""Filters for the deal list and the pipeline board."""

from datetime import date

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Team
from accounts.selectors import assignable_users
from crm_project.lists import DateInputFilter

from ..models import Deal, Pipeline, Stage
from ..selectors.deals import deal_search


def _owners(request):
    return assignable_users() if request else assignable_users().none()


class StageChoiceFilter(django_filters.ModelChoiceFilter):
    """Stages labelled with their pipeline ("Sales: Proposal")."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("queryset", Stage.objects.select_related("pipeline").order_by("pipeline", "position", "pk"))
        super().__init__(*args, **kwargs)


class DealFilter(django_filters.FilterSet):
    # Inline in the filter bar; the others go behind "More filters".
    main_filters = ("q", "stage", "owner")
    q = django_filters.CharFilter(
        label=_("Search"),
        method="search",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Title or customer")}),
    )
    pipeline = django_filters.ModelChoiceFilter(label=_("Pipeline"), queryset=Pipeline.objects.all())
    stage = StageChoiceFilter(label=_("Stage"))
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Deal.Status.choices)
    owner = django_filters.ModelChoiceFilter(label=_("Owner"), queryset=_owners)  # type: ignore[arg-type]  # stubs omit callable querysets
    team = django_filters.ModelChoiceFilter(label=_("Team"), queryset=Team.objects.all())
    close_after = DateInputFilter(
        label=_("Closing from"),
        field_name="expected_close_date",
        lookup_expr="gte",
    )
    close_before = DateInputFilter(
        label=_("Closing until"),
        field_name="expected_close_date",
        lookup_expr="lte",
    )
    # Set by the "All deals" link of the customer page; not shown as a field.
    customer = django_filters.NumberFilter(field_name="customer_id", widget=forms.HiddenInput)

    class Meta:
        model = Deal
        fields = ["q", "pipeline", "stage", "status", "owner", "team"]

    def search(self, queryset, name, value):
        return deal_search(queryset, value) if value.strip() else queryset


class MonthField(forms.CharField):
    """A month as YYYY-MM (the browser's <input type="month">), cleaned to its first day."""

    widget = forms.TextInput(attrs={"type": "month", "placeholder": "2026-01", "pattern": r"\d{4}-\d{2}"})

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            year, month = (int(part) for part in value.split("-"))
            return date(year, month, 1)
        except ValueError as error:
            raise forms.ValidationError(_("Enter a month as YYYY-MM.")) from error


class MonthFilter(django_filters.Filter):
    field_class = MonthField

    def filter(self, qs, value):
        if value is None:
            return qs
        following = date(value.year + value.month // 12, value.month % 12 + 1, 1)
        return qs.filter(**{f"{self.field_name}__gte": value, f"{self.field_name}__lt": following})


class BoardFilter(django_filters.FilterSet):
    owner = django_filters.ModelChoiceFilter(label=_("Owner"), queryset=_owners)  # type: ignore[arg-type]  # stubs omit callable querysets
    team = django_filters.ModelChoiceFilter(label=_("Team"), queryset=Team.objects.all())
    close_month = MonthFilter(label=_("Closing in"), field_name="expected_close_date")

    class Meta:
        model = Deal
        fields = ["owner", "team"]

    # Query parameters that belong to the filters (kept on every board link and move).
    PARAMETERS = ("owner", "team", "close_month")
