import django_filters
from django.utils.translation import gettext_lazy as _

from .models import JobRun


class JobRunFilter(django_filters.FilterSet):
    name = django_filters.CharFilter(label=_("Job"), lookup_expr="icontains")
    status = django_filters.ChoiceFilter(label=_("Status"), choices=JobRun.Status.choices)
    created_after = django_filters.DateFilter(
        label=_("Queued on or after"), field_name="created_at", lookup_expr="date__gte"
    )

    class Meta:
        model = JobRun
        fields = ["name", "status", "created_after"]
