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

from .saved_views import COLUMNS_PARAMETER, VIEW_PARAMETER, SavedViewsMixin

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


class FilteredTableView(LoginRequiredMixin, SavedViewsMixin, SingleTableMixin, FilterView):
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
        context.update(self.saved_views_context(context["table"]))
        filterset = getattr(self, "filterset", None)
        chips = filter_chips(filterset, self.request, empty_url=context["clear_url"]) if filterset else []
        context["filter_chips"] = chips
        # The badge on the phone's "Filters" button counts the same chips.
        context["active_filter_count"] = len(chips)
        if filterset is not None:
            context["filter_bar"] = filter_bar(filterset, chips)
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
    name: str = ""


# Query parameters that page, sort or lay out a list rather than filter it.
NOT_FILTERS = ("page", "per_page", "sort", VIEW_PARAMETER, COLUMNS_PARAMETER)


@dataclass(frozen=True)
class FilterBar:
    """The filter form split for the bar: the search and the main filters inline,
    the rest in the "More filters" panel (with how many of those are set)."""

    main: list[forms.BoundField]
    more: list[forms.BoundField]
    more_active: int


# Without `main_filters` on the FilterSet, its first fields are the main ones.
MAIN_FILTERS_DEFAULT = 3


def filter_bar(filterset, chips: list[FilterChip]) -> FilterBar:
    """A FilterSet names its main filters in `main_filters = ("q", "owner", ...)`."""
    fields = filterset.form.visible_fields()
    wanted = getattr(filterset, "main_filters", None)
    if wanted is None:
        wanted = [field.name for field in fields[:MAIN_FILTERS_DEFAULT]]
    main = [field for name in wanted for field in fields if field.name == name]
    more = [field for field in fields if field.name not in wanted]
    more_names = {field.name for field in more}
    return FilterBar(main=main, more=more, more_active=sum(chip.name in more_names for chip in chips))


def filter_chips(filterset, request: HttpRequest, *, empty_url: str | None = None) -> list[FilterChip]:
    """One chip per filter the query string sets, those that arrive by URL only
    (RFM drill-downs, dashboard links) included. A filter may say how its value
    reads with a `chip_display(value)` method; otherwise choices show their label.

    Removing a chip leaves the saved view it came from (`view` goes too); removing
    the last one leads to `empty_url` (the "clear" link when a default view would
    otherwise open again)."""
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
        for dropped in (name, "page", VIEW_PARAMETER):
            remaining.pop(dropped, None)
        url = f"{request.path}?{remaining.urlencode()}" if remaining else (empty_url or request.path)
        chips.append(FilterChip(label=str(list_filter.label or name), value=text, remove_url=url, name=name))
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
