"""The list pattern every app reuses: a django-filter FilterSet, a
django-tables2 Table, pagination, sortable headers and htmx refresh of the
results block (the same partial serves the page and the htmx request)."""

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, cast

import django_filters
import django_tables2 as tables
from django import forms
from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.http import HttpRequest
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django_filters.views import FilterView
from django_htmx.middleware import HtmxDetails
from django_tables2 import SingleTableMixin

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class HtmxHttpRequest(HttpRequest):
    """A request as django-htmx's middleware leaves it (for the type checker)."""

    htmx: HtmxDetails


class CappedPaginator(Paginator):
    """`?per_page=` picks the page size, up to CRM_PAGE_SIZE_MAX rows: a list is
    never one unbounded page (nor a back door around the exports' limits)."""

    def __init__(self, object_list, per_page, *args, **kwargs):
        per_page = max(1, min(int(per_page), settings.CRM_PAGE_SIZE_MAX))
        super().__init__(object_list, per_page, *args, **kwargs)


class FilteredTableView(LoginRequiredMixin, SingleTableMixin, FilterView):
    request: HtmxHttpRequest
    template_name = "partials/list_page.html"
    results_template_name = "partials/list_results.html"
    # Only the table paginates (a view-level paginate_by would count twice).
    table_pagination = {"per_page": settings.CRM_PAGE_SIZE}
    paginator_class = CappedPaginator
    page_title: "StrOrPromise" = ""
    # Optional (label, url) for a button beside the title.
    create_link = None

    def get_template_names(self):
        if self.request.htmx and not self.request.htmx.boosted:
            return [self.results_template_name]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["page_title"] = self.page_title
        context["create_link"] = self.create_link
        filterset = getattr(self, "filterset", None)
        context["filter_chips"] = filter_chips(filterset, self.request) if filterset is not None else []
        # The badge on the phone's "Filters" button counts the same chips.
        context["active_filter_count"] = len(context["filter_chips"])
        return context


class DateInputFilter(django_filters.DateFilter):
    """A date filter with the browser's date picker."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "date"}))
        super().__init__(*args, **kwargs)


class BulkSelectColumn(tables.CheckBoxColumn):
    """The row checkboxes of a list with bulk actions: they belong to the page's
    `bulk-form`, and the header box selects every row on the page."""

    def __init__(self, **kwargs):
        kwargs.setdefault("accessor", "pk")
        kwargs.setdefault(
            "attrs",
            {
                "input": {"form": "bulk-form", "aria-label": _("Select")},
                "th__input": {
                    "form": "bulk-form",
                    "aria-label": _("Select all on this page"),
                    "data-select-all": "ids",
                },
            },
        )
        super().__init__(**kwargs)


@dataclass(frozen=True)
class FilterChip:
    """An active filter shown above a list's results, with the link that removes it."""

    label: str
    value: str
    remove_url: str


# Query parameters that page or sort a list rather than filter it.
NOT_FILTERS = ("page", "per_page", "sort")


def filter_chips(filterset, request: HttpRequest) -> list[FilterChip]:
    """One chip per filter the query string sets, those that arrive by URL only
    (RFM drill-downs, dashboard links) included. A filter may say how its value
    reads with a `chip_display(value)` method; otherwise choices show their label."""
    form = filterset.form
    if not form.is_valid():
        return []
    chips = []
    for name, list_filter in filterset.filters.items():
        value = form.cleaned_data.get(name)
        if name in NOT_FILTERS or not any(request.GET.getlist(name)) or value in (None, "", [], ()):
            continue
        display = getattr(list_filter, "chip_display", None)
        text = display(value) if display else _chip_text(form.fields[name], value)
        remaining = request.GET.copy()
        for dropped in (name, "page"):
            remaining.pop(dropped, None)
        url = f"{request.path}?{remaining.urlencode()}" if remaining else request.path
        chips.append(FilterChip(label=str(list_filter.label or name), value=text, remove_url=url))
    return chips


def _chip_text(field: forms.Field, value) -> str:
    if isinstance(field, forms.ModelChoiceField):
        return str(value)
    if isinstance(field, forms.ChoiceField):
        labels = {str(key): label for key, label in cast(list[tuple[object, object]], field.choices)}
        return str(labels.get(str(value), value))
    if isinstance(value, date):
        return date_format(value, "SHORT_DATE_FORMAT")
    return str(value)
