import django_filters
from django.utils.translation import gettext_lazy as _

from .models import JobRun
from .tasks import job_choices


class JobRunFilter(django_filters.FilterSet):
    # Inline in the filter bar; the others go behind "More filters".
    main_filters = ("name", "status", "created_after")
    # Picked by its label, in the reader's language ("Müşteri içe aktarma"), not by its code.
    name = django_filters.ChoiceFilter(label=_("Job"), choices=job_choices)
    status = django_filters.ChoiceFilter(label=_("Status"), choices=JobRun.Status.choices)
    created_after = django_filters.DateFilter(
        label=_("Queued on or after"), field_name="created_at", lookup_expr="date__gte"
    )

    class Meta:
        model = JobRun
        fields = ["name", "status", "created_after"]
