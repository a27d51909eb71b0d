"""The list pages' FilterSets, built with the filters a request names only.

A FilterSet builds a form field for each of its filters on every request (the
customer list has twenty, with other apps' extensions), which cost an API page
about as much as reading its 25 rows. A filter the request does not name has no
value, and django-filter skips a filter without a value, so it is left out of the
FilterSet (required ones stay, to be refused). The FilterSet itself always runs:
its own `filter_queryset` may apply a default (the ticket list's unsolved tickets).
"""

from collections import OrderedDict

from django_filters.rest_framework import DjangoFilterBackend

# Query parameters of the API itself, never filters.
API_PARAMETERS = frozenset({"cursor", "page_size", "fields", "expand", "format"})


class FilterBackend(DjangoFilterBackend):
    def filter_queryset(self, request, queryset, view):
        # A FilterSet without defaults filters nothing when no filter is named: skip building it
        # (deep-copying twenty filters and their forms was a tenth of a customer page).
        if not getattr(view, "filterset_has_defaults", True) and not set(request.query_params) - API_PARAMETERS:
            return queryset
        return super().filter_queryset(request, queryset, view)

    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is not None:
            named = set(request.query_params) - API_PARAMETERS
            # A filter may read `<name>_<suffix>` parameters (ranges: created_min, created_max).
            filterset.filters = OrderedDict(
                (name, field)
                for name, field in filterset.filters.items()
                if name in named or any(param.startswith(f"{name}_") for param in named) or field.extra.get("required")
            )
        return filterset
