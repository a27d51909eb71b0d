"""The list pages' FilterSets, built for the filters a request names only.

A FilterSet builds a form field for each of its filters on every request (the
customer list has twenty, with other apps' extensions), which cost an API page more
than reading its 25 rows. The filters a request does not name filter nothing, so
they are left out; a request naming none skips the FilterSet altogether.
"""

from collections import OrderedDict

from django_filters.rest_framework import DjangoFilterBackend

# Query parameters of the API itself, never filters.
API_PARAMETERS = frozenset({"cursor", "page_size", "fields", "expand", "format"})


class FilterBackend(DjangoFilterBackend):
    def filter_queryset(self, request, queryset, view):
        if not set(request.query_params) - API_PARAMETERS:
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
                if name in named or any(param.startswith(f"{name}_") for param in named)
            )
        return filterset
