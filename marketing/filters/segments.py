import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import Segment


class SegmentFilter(django_filters.FilterSet):
    main_filters = ("name", "kind")
    name = django_filters.CharFilter(
        label=_("Search"), lookup_expr="icontains", widget=forms.TextInput(attrs={"type": "search"})
    )
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=Segment.Kind.choices)

    class Meta:
        model = Segment
        fields = ["name", "kind"]
