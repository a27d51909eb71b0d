"""How higher apps extend the customer pages without `customers` knowing them.

`customers` sits low in the dependency order (accounts -> kernel -> jobs ->
customers -> sales -> analytics -> support | marketing), so it never imports
the apps that add to its pages. Instead each extension point is a list of
dotted paths in settings that the composition root fills in:

- CRM_CUSTOMER_PANELS: cards on the customer's 360° page (`CustomerPanel`);
- CRM_CUSTOMER_LIST_FILTERS: extra filters of the customer list, which also
  drive its exports and bulk actions (`CustomerListFilters`);
- CRM_CUSTOMER_LIST_COLUMNS: extra columns of the customer list, sortable by
  what they annotate, read for the shown page only (`CustomerListColumn`, e.g.
  analytics' lifetime value);
- CRM_TIMELINE_SOURCES: other apps' records on the customer's timeline
  (`TimelineSource`);
- CRM_TIMELINE_SENTENCES: how each app's system entries read on a timeline,
  by action code (`customers.timeline.Sentence`);
- CRM_CUSTOMER_LIST_LINKS: links under the list's "Views" menu that take the
  list's current filters elsewhere (`CustomerListLink`, e.g. "Make a segment");
- CRM_CUSTOMER_BULK_ACTIONS: more "With selected" actions, each handing the
  chosen ids to another app's page (`CustomerBulkAction`).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import django_filters
from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.module_loading import import_string
from django.utils.safestring import SafeString

from .models import Customer


@dataclass(frozen=True)
class CustomerPanel:
    """A card on the customer's page: `context(request, customer)` fills `template`.

    `html_id` names the panel's column, so htmx updates and tests can find it."""

    html_id: str
    template: str
    context: Callable[[HttpRequest, Customer], dict]

    def render(self, request: HttpRequest, customer: Customer) -> SafeString:
        return render_to_string(self.template, self.context(request, customer), request=request)


class CustomerListFilters(Protocol):
    """Filters another app adds to the customer list.

    `declare()` returns the django-filter filters to add (by parameter name), the same
    ones on every call: the list's form class is built once per process from them
    (crm_project.lists.SharedFormFilterSet), so options read from the database come
    from a queryset (each form reads it anew), never from a list made in declare();
    `apply(queryset, data)` filters with the cleaned values, after the list's
    own filters, so filters that only mean something together can be read as one;
    `scope_note(data, user=)` says when the user's scope hides part of the selection."""

    def declare(self) -> dict[str, django_filters.Filter]: ...

    def apply(self, queryset: QuerySet[Customer], data: dict[str, Any]) -> QuerySet[Customer]: ...

    def scope_note(self, data: dict[str, Any], *, user) -> str | None:
        """A sentence shown above the results when the user's scope hides some of what
        these filters select ("47 of 81: the others belong to other teams"), or None."""
        ...


@dataclass(frozen=True)
class TimelineSource:
    """Another app's records shown on the customer's timeline, read where they live.

    `rows(customer)` returns a values() queryset of (origin, key, at); `load(pks)`
    returns {pk: object}; `template` renders one object as `entry`."""

    name: str
    rows: Callable[[Customer], QuerySet]
    load: Callable[[list[int]], dict]
    template: str


@dataclass(frozen=True)
class CustomerListColumn:
    """A column of the customer list: `column()` makes the django-tables2 column called
    `name`; `annotate(queryset)` adds the value it sorts by to the list's rows (the
    column's `order()` applies it); `values(customer_ids)` reads the shown page's values
    ({id: value}) when the list is not sorted by it, so that the filtered and sorted query
    carries no join for it (issue 11: about 1.3 ms of a freshly drawn list)."""

    name: str
    column: Callable[[], Any]
    annotate: Callable[[QuerySet[Customer]], QuerySet[Customer]]
    values: Callable[[list[int]], dict[int, Any]]


def attach_list_column_values(customers: list[Customer]) -> None:
    """Give each shown customer its extra columns' values, as `annotate` would have:
    one query per column for the page, for the rows that do not have them yet."""
    for column in customer_list_columns():
        missing = [customer for customer in customers if not hasattr(customer, column.name)]
        if not missing:
            continue
        found = column.values([customer.pk for customer in missing])
        for customer in missing:
            setattr(customer, column.name, found.get(customer.pk))


def customer_list_columns() -> list[CustomerListColumn]:
    return [import_string(dotted) for dotted in getattr(settings, "CRM_CUSTOMER_LIST_COLUMNS", [])]


def customer_panels() -> list[CustomerPanel]:
    return [import_string(dotted) for dotted in settings.CRM_CUSTOMER_PANELS]


@dataclass(frozen=True)
class CustomerListLink:
    """A link under the customer list's "Views" menu: `url_name` gets the list's current
    query string as `?filters=…`; shown to users `allowed(user)` accepts."""

    label: Any
    url_name: str
    icon: str
    allowed: Callable[[Any], bool]


@dataclass(frozen=True)
class CustomerBulkAction:
    """A "With selected" action: the list's bulk form redirects to `url_name` with the
    chosen ids as `?ids=1,2,3`; the page there does the rest (and checks access again)."""

    key: str
    label: Any
    url_name: str
    allowed: Callable[[Any], bool]


def customer_list_links(user) -> list[CustomerListLink]:
    links = (import_string(dotted) for dotted in getattr(settings, "CRM_CUSTOMER_LIST_LINKS", []))
    return [link for link in links if link.allowed(user)]


def customer_bulk_actions(user=None) -> list[CustomerBulkAction]:
    """The actions `user` may use (all of them without a user)."""
    actions = (import_string(dotted) for dotted in getattr(settings, "CRM_CUSTOMER_BULK_ACTIONS", []))
    return [action for action in actions if user is None or action.allowed(user)]


def customer_list_filters() -> list[CustomerListFilters]:
    return [import_string(dotted) for dotted in settings.CRM_CUSTOMER_LIST_FILTERS]


def timeline_sources() -> list[TimelineSource]:
    return [import_string(dotted) for dotted in settings.CRM_TIMELINE_SOURCES]
