"""The list pattern every app reuses: a django-filter FilterSet, a
django-tables2 Table, pagination, sortable headers and htmx refresh of the
results block (the same partial serves the page and the htmx request)."""

import copy
import json
from collections.abc import Callable, Hashable
from contextlib import suppress
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, TypeVar, cast

import django_filters
import django_tables2 as tables
from django import forms
from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import EmptyResultSet
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db import connections, models
from django.db.models import Count, F, QuerySet, Window
from django.db.models.functions import Coalesce
from django.db.models.sql.datastructures import Join
from django.db.models.sql.where import AND, WhereNode
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template import Engine
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_filters.filters import QuerySetRequestMixin
from django_filters.views import FilterView
from django_htmx.middleware import HtmxDetails
from django_tables2 import SingleTableMixin
from django_tables2.data import TableQuerysetData
from django_tables2.rows import BoundRows
from django_tables2.utils import AttributeDict

from accounts import roles

from .access import ScopeNode, user_team_ids
from .fragments import ResponseFragment, cache_model_choices
from .helpers import id_url_halves
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


class ListPaginator(CappedPaginator):
    """The lists' paginator, fast at a million rows (issue 11):

    - Counts: exact up to CRM_LIST_EXACT_COUNT rows. On PostgreSQL the planner's
      estimate of the filtered query comes first (EXPLAIN, no rows read). Above
      CRM_LIST_SORT_ALL_MAX the list says "about 1,300,000" and no exact COUNT(*)
      (a parallel sequential scan of both cores) runs. Below it, one query counts
      the set (`COUNT(*) OVER ()`, "10,000+" above the threshold) and reads the
      wanted page's ids with it. SQLite counts exactly.
    - Without an exact count there is no last page: the page links stop one past
      the current page, "Next" shows when one more row exists, and a page past the
      end is empty instead of an error.
    - Rows: a deferred join. The page's ids come from a query that orders and
      offsets ids only (an index-only scan on the name index), then the page's
      rows and their joins are loaded for those 25 ids.
    - Small filtered sets (search, a team's scope) are sorted whole: ordering by
      an indexed column lets PostgreSQL walk that index and discard rows that fail
      the filter, which took seconds when the matches sort late; sorting the few
      thousand matches found through their own indexes takes milliseconds (a
      top-N sort: only the page's rows are kept in order).
    - A scope of several branches (`owner = me OR team IN (…)`, see
      access.ScopeNode) above CRM_LIST_SORT_WHOLE_MAX rows is paged branch by
      branch: each branch's first rows in list order come from its own index
      (customer_alive_owner_name_idx, …, index-only), their UNION is ordered and
      sliced; it is counted the same way, capped per branch. Sorting a manager's
      10,000 customers for every page read 10,000 heap pages (40 ms).
    The primary key ends every ordering, so pages never share or skip a row."""

    def __init__(self, object_list, per_page, *args, **kwargs):
        super().__init__(object_list, per_page, *args, **kwargs)
        self.queryset = _queryset_of(object_list)
        self.has_next_after: dict[int, bool] = {}
        self._wanted_page = 1
        self._first_ids: tuple[int, list, bool] | None = None  # a small set's (offset, ids, at its end)
        self._branches: list[QuerySet] | None = None

    @cached_property
    def _counted(self) -> tuple[int, bool, int | None]:
        """(count, exact, the planner's estimate or None)."""
        queryset = self.queryset
        if queryset is None or connections[queryset.db].vendor != "postgresql":
            return super().count, True, None
        threshold = settings.CRM_LIST_EXACT_COUNT
        estimate = planner_rows(queryset)
        if estimate > max(threshold, settings.CRM_LIST_SORT_ALL_MAX):
            return estimate, False, estimate
        if estimate > settings.CRM_LIST_SORT_WHOLE_MAX and (branches := _pageable_branches(queryset)):
            self._branches = branches
            bottom, top = self._wanted_rows()
            page = _branches_page(branches, _with_pk(queryset.query.order_by), bottom, top)
            counted, ids = _branches_count(branches, threshold, page)
            self._first_ids = (bottom, ids, len(ids) < top - bottom)
        elif _may_defer(queryset):
            counted = self._count_with_page(queryset, threshold)
        else:
            counted = queryset.order_by()[: threshold + 1].count()
        if counted > threshold:
            return threshold, False, estimate
        return counted, True, estimate

    def _wanted_rows(self) -> tuple[int, int]:
        """The rows of the page asked for, and one more (is there a next page?)."""
        bottom = (self._wanted_page - 1) * self.per_page
        return bottom, bottom + self.per_page + max(1, self.orphans)

    def _count_with_page(self, queryset: QuerySet, threshold: int) -> int:
        """A small set: one query counts it (a window over every match) and reads the
        wanted page's ids, the first rows of a top-N sort (sorting every match for
        its first 10,001 ids took a third longer, the search "smith" at 1M rows)."""
        bottom, top = self._wanted_rows()
        ordering = [_unindexed(item) for item in _with_pk(queryset.query.order_by)]
        counted = queryset.order_by(*ordering).annotate(_list_total=Window(Count("*")))
        rows = list(counted.values_list("pk", "_list_total")[bottom:top])
        if not rows:  # nothing matches, or the page is past the end: then the count alone
            return 0 if bottom == 0 else queryset.order_by()[: threshold + 1].count()
        self._first_ids = (bottom, [pk for pk, _total in rows], len(rows) < top - bottom)
        return rows[0][1]

    @property
    def count(self) -> int:  # Paginator's is a cached_property
        return self._counted[0]

    @property
    def count_is_exact(self) -> bool:
        return self._counted[1]

    @property
    def count_label(self) -> str:
        """The total as the list shows it: "1,234", "10,000+" or "about 1,300,000"."""
        count, exact, _estimate = self._counted
        if exact:
            return str(count)
        if count <= settings.CRM_LIST_EXACT_COUNT:
            return _("%(count)s+") % {"count": number_format(count, force_grouping=True)}
        return _("about %(count)s") % {"count": number_format(_round_estimate(count), force_grouping=True)}

    def validate_number(self, number):
        if self.count_is_exact:
            return super().validate_number(number)
        try:
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from None
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        return number

    def page(self, number):
        if self.queryset is None:
            return super().page(number)
        with suppress(TypeError, ValueError):
            self._wanted_page = max(1, int(number))  # a small set's count reads this page's ids too
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if self.count_is_exact and top + self.orphans >= self.count:
            top = self.count
        # Without an exact count, one row more tells whether a next page exists.
        rows = self._rows(bottom, top if self.count_is_exact else top + 1)
        self.has_next_after[number] = len(rows) > top - bottom
        rows = rows[: top - bottom]
        if isinstance(self.object_list, BoundRows):
            rows = BoundRows(rows, table=self.object_list.table, pinned_data=self.object_list.pinned_data)
        return self._get_page(rows, number, self)

    def _get_page(self, *args, **kwargs):
        return ListPage(*args, **kwargs)

    def _rows(self, bottom: int, top: int) -> list:
        queryset = self.queryset
        assert queryset is not None  # noqa: S101 - page() checked
        ordered = queryset.order_by(*_with_pk(queryset.query.order_by))
        if self._first_ids is not None and self._first_ids[0] == bottom:
            _bottom, first_ids, at_end = self._first_ids
            if at_end or top - bottom <= len(first_ids):
                return _rows_in_order(queryset, first_ids[: top - bottom])
        if self._branches is not None:
            page = _branches_page(self._branches, ordered.query.order_by, bottom, top)
            return _rows_in_order(queryset, [row[0] for row in page])
        if not _may_defer(queryset):
            return list(ordered[bottom:top])
        ids = ordered.order_by(*self._inner_ordering([*ordered.query.order_by])).values_list("pk", flat=True)
        if self._walks_an_index():
            # The ids first, then their rows: two statements, so that a stale list's check re-runs
            # the costly one (page 1,000 walks 25,000 index entries) only when a column it reads
            # (the sort, the filters) was written, not for an edit of other fields (fragments.Checks:
            # the ids as a subquery of one statement read every column).
            return _rows_in_order(queryset, list(ids[bottom:top]))
        return list(ordered.filter(pk__in=ids[bottom:top]))

    def _walks_an_index(self) -> bool:
        """Whether the page's ids come from walking an index in list order: a large set on
        PostgreSQL (SQLite keeps no checks; a small set is sorted whole, cheaply)."""
        estimate = self._counted[2]
        return estimate is not None and estimate > settings.CRM_LIST_SORT_ALL_MAX

    def _inner_ordering(self, ordering: list) -> list:
        """The ordering the ids are picked in: as given, or, for a small set on
        PostgreSQL, wrapped so that no index can serve it (see the class)."""
        if self._counted[2] is None or self._walks_an_index():
            return ordering
        return [_unindexed(item) for item in ordering]

    def get_elided_page_range(self, number=1, *, on_each_side=3, on_ends=2):
        if self.count_is_exact:
            yield from super().get_elided_page_range(number, on_each_side=on_each_side, on_ends=on_ends)
            return
        number = self.validate_number(number)
        if number > (1 + on_each_side + on_ends) + 1:
            yield from range(1, on_ends + 1)
            yield self.ELLIPSIS
            yield from range(number - on_each_side, number + 1)
        else:
            yield from range(1, number + 1)
        if self.has_next_after.get(number):
            yield number + 1
            yield self.ELLIPSIS


class ListPage(Page):
    """A page that knows its neighbours without a last page number."""

    paginator: ListPaginator

    def has_next(self) -> bool:
        if self.paginator.count_is_exact:
            return super().has_next()
        return self.paginator.has_next_after.get(self.number, False)

    def next_page_number(self) -> int:
        return self.number + 1 if self.has_next() else self.paginator.validate_number(self.number + 1)

    def start_index(self) -> int:
        if not len(self):
            return 0
        return (self.number - 1) * self.paginator.per_page + 1

    def end_index(self) -> int:
        return (self.number - 1) * self.paginator.per_page + len(self)


def _queryset_of(object_list) -> QuerySet | None:
    """The queryset behind a list: a table's rows (django-tables2) or a queryset."""
    if isinstance(object_list, BoundRows) and isinstance(object_list.data, TableQuerysetData):
        return object_list.data.data
    return object_list if isinstance(object_list, QuerySet) else None


def _rows_in_order(queryset: QuerySet, ids: list) -> list:
    """The rows of `ids`, in the order of `ids` (they were picked in list order): put in order
    here, not by an ORDER BY, which took a third of compiling the rows' query (its select of
    fifty columns is matched against the ordering), about 0.25 ms of a list (issue 11)."""
    rows = {row.pk: row for row in _without_filters(queryset.order_by()).filter(pk__in=ids)}
    return [rows[pk] for pk in ids if pk in rows]


def _without_filters(queryset: QuerySet) -> QuerySet:
    """The queryset without its WHERE, for reading rows whose ids its own filtered query picked
    in this request: the filters (access, search, soft delete) have done their work. Applied
    again, the planner may read the rows through them: a manager's orders list probed the
    order index for each of 20,000 visible customers' ids (25 ms) to find 25 orders by id.
    Kept when a join of the query is many-valued (a filter on tags joins each tag): without it
    the join would read every tag of every row on the page, a row each."""
    fields = [join.join_field for join in queryset.query.alias_map.values() if isinstance(join, Join)]
    if not all(getattr(field, "many_to_one", False) or getattr(field, "one_to_one", False) for field in fields):
        return queryset
    queryset = queryset.all()
    queryset.query.where = WhereNode()
    return queryset


def _with_pk(ordering) -> list:
    """The ordering with the primary key last, so that no two rows tie; in the direction of the
    key before it, so that a list sorted backwards (`-name`) is its index read backwards. With
    the key ascending, PostgreSQL read the index backwards and sorted every run of equal names
    again: page 1,000 by name descending took 13.6 ms instead of 3.7."""
    ordering = [*ordering]
    if ordering and not {"pk", "-pk", "id", "-id"} & {str(item) for item in ordering}:
        ordering.append("-pk" if _descending(ordering[-1]) else "pk")
    return ordering


def _descending(item) -> bool:
    if isinstance(item, str):
        return item.startswith("-")
    return bool(getattr(item, "descending", False))  # an OrderBy expression


def _may_defer(queryset: QuerySet) -> bool:
    """Whether the ids can be picked in a subquery of their own: not for DISTINCT,
    grouped (aggregate annotations), combined (UNION) or already sliced querysets."""
    query = queryset.query
    if query.distinct or query.combinator or query.is_sliced or query.group_by is not None:
        return False
    return not any(getattr(annotation, "contains_aggregate", False) for annotation in query.annotations.values())


def scope_branches(queryset: QuerySet) -> list[QuerySet] | None:
    """The queryset once per branch of its scope (access.ScopeNode), every other
    condition kept; None when it has no scope of two branches or more. Together the
    branches hold exactly the queryset's rows (a row may be in several)."""
    where = queryset.query.where
    if where.connector != AND or where.negated:
        return None
    for index, child in enumerate(where.children):
        if isinstance(child, ScopeNode) and len(child.children) > 1:
            branches = []
            for branch in child.children:
                clone = queryset.all()  # a clone: its WHERE is a copy
                clone.query.where.children[index] = branch
                branches.append(clone)
            return branches
    return None


def _pageable_branches(queryset: QuerySet) -> list[QuerySet] | None:
    """The scope's branches, if the model has an index per branch in its own order
    (ScopedQuerySet.scope_branch_indexes) and the list is sorted that way (either
    way round). Otherwise each branch would be sorted whole: the set once is cheaper."""
    if not getattr(queryset, "scope_branch_indexes", False) or not _may_defer(queryset):
        return None
    ordering = _without_pk(queryset.query.order_by)
    default = _without_pk(queryset.model._meta.ordering)
    if not ordering or ordering not in (default, [_reversed(item) for item in default]):
        return None
    return scope_branches(queryset)


def _without_pk(ordering) -> list[str]:
    return [str(item) for item in ordering if str(item).lstrip("-") not in ("pk", "id")]


def _reversed(item: str) -> str:
    return item[1:] if item.startswith("-") else f"-{item}"


def _capped_ids_sql(queryset: QuerySet, limit: int) -> tuple[str, tuple]:
    """The first `limit` ids in the model's order: which rows does not matter to a
    capped count, but in that order PostgreSQL reads them from the branch's index
    alone (unordered, it picked the owner index and fetched every row's page)."""
    ordered = queryset.order_by(*_with_pk(queryset.model._meta.ordering)).values("pk")[:limit]
    sql, params = ordered.query.sql_with_params()
    return sql, tuple(params)


def _branches_count(branches: list[QuerySet], threshold: int, page: QuerySet) -> tuple[int, list]:
    """How many rows the branches hold together, up to threshold + 1, and the ids
    of the wanted `page` (_branches_page), in one query: it counts each branch
    (capped); only when none passes the threshold does a second query count their
    UNION (a row may be in several branches)."""
    parts = [_capped_ids_sql(branch, threshold + 1) for branch in branches]
    page_sql, page_params = page.query.sql_with_params()
    counts = ", ".join(f"(SELECT COUNT(*) FROM ({part}) AS branch)" for part, _params in parts)  # noqa: S608
    sql = f'SELECT ARRAY(SELECT page."pk" FROM ({page_sql}) AS page), {counts}'  # noqa: S608 - the ORM's SQL
    params = (*page_params, *(param for _part, part_params in parts for param in part_params))
    with connections[branches[0].db].cursor() as cursor:
        cursor.execute(sql, params)
        ids, *counted = cursor.fetchone()
        if max(counted) > threshold:
            return threshold + 1, ids
        union = " UNION ".join(f"({part})" for part, _params in parts)
        union_params = tuple(param for _part, part_params in parts for param in part_params)
        cursor.execute(f"SELECT COUNT(*) FROM ({union}) AS scope", union_params)  # noqa: S608 - the ORM's SQL
        return cursor.fetchone()[0], ids


def _branches_page(branches: list[QuerySet], ordering, bottom: int, top: int) -> QuerySet:
    """Rows bottom..top in list order, as (pk, sort columns…): each branch gives its
    first `top` rows along its index, their UNION is sorted and sliced."""
    names = list(dict.fromkeys(["pk", *(item.lstrip("-") for item in ordering)]))
    parts = [branch.order_by(*ordering).values_list(*names)[:top] for branch in branches]
    return parts[0].union(*parts[1:]).order_by(*ordering)[bottom:top]


def _unindexed(item):
    """COALESCE(column, column) sorts exactly like the column (NULLs and collation
    included) but matches no index, so the planner sorts the matching rows."""
    if not isinstance(item, str) or item == "?":
        return item
    name = item.lstrip("-")
    expression = Coalesce(F(name), F(name))
    return expression.desc() if item.startswith("-") else expression.asc()


def planner_rows(queryset: QuerySet) -> int:
    """PostgreSQL's estimate of how many rows the filtered queryset has (EXPLAIN: nothing is read)."""
    try:
        sql, params = queryset.order_by().values("pk").query.sql_with_params()
    except EmptyResultSet:  # .none(), or a filter that can match nothing (pk__in=[])
        return 0
    with connections[queryset.db].cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


def _round_estimate(count: int) -> int:
    """Two significant digits: an estimate is not precise to the row."""
    digits = len(str(count))
    step = 10 ** max(0, digits - 2)
    return round(count / step) * step


class CachedContentMixin:
    """A list page's content (filter bar, chips, table, pagination: the `{% listcontent %}`
    block of partials/list_page.html) from the fragment cache, found before the FilterSet,
    the table or a query is built; a miss records the view's queries and the block's
    render, and keeps it unless one read a table nobody watches (crm_project.fragments).

    The key: the list, its path, the query string (its parameters sorted), the user, the
    user's access as computed on this request (roles and team ids, one query per request
    as on every page), language and time zone. The entry lives while no table the list
    read (customers, companies, scores, users, tags…) has been written.

    A list that shows the time adds it to its key (`content_described`): the day for a
    date's "Overdue" (the deal list), `this_minute()` for the time of day (the task list's
    due badges, the ticket list's SLA clocks); and when a row on the page would read
    otherwise before that key changes (a task falling due later in the minute) it calls
    `content_not_kept()`: the page is drawn for this request only."""

    request: "HtmxHttpRequest"
    content_cached = False

    def get(self, request, *args, **kwargs):
        if not self.content_cached or (request.htmx and not request.htmx.boosted):
            return super().get(request, *args, **kwargs)  # type: ignore[misc]
        self.content = ListContent(self.content_described(), csrf_token=lambda: get_token(request))
        if self.content.html is not None:
            return self.render_to_response(self.cached_content_context())  # type: ignore[attr-defined]
        with self.content.recording():
            return super().get(request, *args, **kwargs)  # type: ignore[misc]

    def content_described(self) -> tuple:
        view = type(self)
        return ("list-content", view.__module__, view.__qualname__, self.request.path, *request_described(self.request))

    def cached_content_context(self) -> dict:
        """What the page outside the content needs (its title)."""
        return {"view": self, "page_title": getattr(self, "page_title", ""), "list_content": self.content}

    def content_not_kept(self) -> None:
        """Draw this request's content without keeping it: it shows something that will
        change before its key does (a task falling due within the key's minute)."""
        content = getattr(self, "content", None)
        if content is not None:
            content.kept = False


class ListContent(ResponseFragment):
    """A list's content (CachedContentMixin), which its view may decide not to keep
    once it has seen the rows (`kept = False`)."""

    kept = True

    def keep(self, html: str, *, csrf_token: str | None = None) -> None:
        if self.kept:
            super().keep(html, csrf_token=csrf_token)


class KeyedByTheMinute:
    """A cached list that shows the time of day (the tasks' due badges, the tickets' SLA
    clocks): the minute is in its content's key, and a page that would read otherwise before
    that minute ends (`changes_before(end, table)`) is drawn for this request only. Put it
    before FilteredTableView in the view's bases."""

    minute: datetime | None = None

    def content_described(self) -> tuple:
        self.minute = this_minute()
        return (*super().content_described(), self.minute.isoformat())  # type: ignore[misc]

    def get_table(self, **kwargs):
        table = super().get_table(**kwargs)  # type: ignore[misc]
        if self.minute is not None and self.changes_before(minute_end(self.minute), table):
            self.content_not_kept()  # type: ignore[attr-defined]
        return table

    def changes_before(self, end: datetime, table) -> bool:
        raise NotImplementedError


def this_minute() -> datetime:
    """The start of the current minute: the key of a list that shows the time of day
    (due badges, SLA clocks), with `minute_end` the instant until which it may be kept."""
    return timezone.now().replace(second=0, microsecond=0)


def minute_end(minute: datetime) -> datetime:
    return minute + timedelta(minutes=1)


def request_described(request: HttpRequest) -> tuple:
    """What a cached page's content depends on besides its rows: the query string (its
    parameters sorted), the user, the user's access as this request computed it, the
    language and the time zone."""
    user = request.user
    return (
        sorted(request.GET.lists()),
        user.pk,
        access_signature(user),
        get_language(),
        timezone.get_current_timezone_name(),
    )


def access_signature(user) -> tuple:
    """What a user may see, as this request computed it: admin or not, roles, team ids."""
    return (roles.is_admin(user), tuple(sorted(roles.roles_of(user))), tuple(sorted(user_team_ids(user))))


class FilteredTableView(LoginRequiredMixin, SavedViewsMixin, CachedContentMixin, SingleTableMixin, FilterView):
    request: HtmxHttpRequest
    template_name = "partials/list_page.html"
    results_template_name = "partials/list_results.html"
    # Only the table paginates (a view-level paginate_by would count twice).
    table_pagination = {"per_page": settings.CRM_PAGE_SIZE}
    paginator_class = ListPaginator
    page_title: "StrOrPromise" = ""
    # Optional (label, url) for a button beside the title.
    create_link = None
    # Keep the rendered filter bar in the fragment cache (crm_project.fragments), per
    # user and query string: only for a list whose bar shows nothing but the query
    # string, the user's own rows and watched models' rows (its menus, saved views).
    filter_bar_cached = False

    def get_template_names(self):
        if self.request.htmx and not self.request.htmx.boosted:
            return [self.results_template_name]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["page_title"] = self.page_title
        context["create_link"] = self.create_link
        context["list_content"] = getattr(self, "content", None)
        context.update(self.saved_views_context(context["table"]))
        filterset = getattr(self, "filterset", None)
        chips = filter_chips(filterset, self.request, empty_url=context["clear_url"]) if filterset else []
        context["filter_chips"] = chips
        # The badge on the phone's "Filters" button counts the same chips.
        context["active_filter_count"] = len(chips)
        if filterset is not None:
            context["filter_bar"] = filter_bar(filterset, chips)
            context["filter_bar_cached"] = self.filter_bar_cached
            context["filter_bar_vary"] = self._filter_bar_vary()
        return context

    def get_table_data(self):
        """The filtered rows; of the rows they join (select_related), only the columns the table
        declares it shows (`related_columns`, see shown_related_columns)."""
        data = super().get_table_data()
        related = getattr(self.get_table_class(), "related_columns", None)
        return shown_related_columns(data, related) if related and isinstance(data, QuerySet) else data

    def _filter_bar_vary(self) -> str:
        """The query string as the filter bar shows it: its page, order and page size do not show."""
        query = self.request.GET.copy()
        for name in NOT_SHOWN_IN_BAR:
            query.pop(name, None)
        return query.urlencode()


def shown_related_columns(queryset: QuerySet, related: dict[str, tuple[str, ...]]) -> QuerySet:
    """The queryset with its model's every column, and of each related row it joins only the
    columns `related` names (relation -> field names; their ids come with them).

    A list shows a customer's or an owner's name, not their address or password hash: the
    rows read are smaller, and a cached list's row statement no longer reads the columns an
    edit of the related row usually writes, so a check after such an edit runs nothing
    (crm_project.fragments.Checks; issue 11)."""
    own = [field.name for field in queryset.model._meta.concrete_fields]
    joined = [f"{relation}__{name}" for relation, names in related.items() for name in names]
    return queryset.only(*own, *joined)


# Form classes of SharedFormFilterSets: (FilterSet class, filter names, shape, language) -> class.
_form_classes: dict[tuple, type[forms.Form]] = {}
FORM_CLASSES_MAX = 64


class SharedFormFilterSet(django_filters.FilterSet):
    """A FilterSet whose form class is built once per process for each shape of its filters.

    django-filter builds a new Form class, and a new form field for every filter, on each
    request (about 0.6 ms of a freshly drawn customer list, issue 11). Here the class is
    kept by FilterSet class, the names of its filters (the API leaves out those a request
    does not name, api.filters), `form_shape()` and language (a filter without a label of
    its own gets its field's label translated when the field is built). Each form still
    deep-copies the class's fields, as every Django form does, and a filter whose queryset
    is a callable (`queryset=lambda request: ...`) gives its menu a queryset from this
    request: nothing a request chooses is kept."""

    def form_shape(self) -> Hashable | None:
        """Everything the filters' form fields depend on besides the FilterSet's class and
        the language (the active custom fields…); None builds the class afresh."""
        return None

    def get_form_class(self):
        shape = self.form_shape()
        if shape is None:
            return super().get_form_class()
        key = (type(self), tuple(self.filters), shape, get_language())
        form_class = _form_classes.get(key)
        if form_class is None:
            if len(_form_classes) >= FORM_CLASSES_MAX:
                _form_classes.clear()
            form_class = _form_classes[key] = super().get_form_class()
        return form_class

    @property
    def form(self) -> forms.Form:
        made = not hasattr(self, "_form")
        form = super().form
        if made:
            for name, list_filter in self.filters.items():
                if isinstance(list_filter, QuerySetRequestMixin) and callable(list_filter.queryset):
                    field = cast(forms.ModelChoiceField, form.fields[name])
                    field.queryset = list_filter.get_queryset(list_filter.get_request())
        return form


class DateInputFilter(django_filters.DateFilter):
    """A date filter with the browser's date picker."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "date"}))
        super().__init__(*args, **kwargs)


class CellTemplateColumn(tables.TemplateColumn):
    """A TemplateColumn whose cell template renders inside the page's context.

    django-tables2's own renders each cell as a new page (`render(flat_context,
    request)`), which runs every context processor again for every cell: the side
    navigation alone reversed its URLs 50 times per customer list (issue 11)."""

    def render(self, record, table, value, bound_column, **kwargs):
        parent_context = getattr(table, "context", None)
        if parent_context is None or self.template_code:
            return super().render(record, table, value, bound_column, **kwargs)
        context = self.get_context_data(record=record, table=table, value=value, bound_column=bound_column, **kwargs)
        with parent_context.update(context):
            return Engine.get_default().get_template(self.template_name).render(parent_context)


TableT = TypeVar("TableT", bound=type[tables.Table])


class ShallowCopiedColumns(dict):
    """A Table's `base_columns` that each table copies column by column (copy.copy), not deeply.

    django-tables2 deep-copies every column for every table (its attrs, accessor, labels:
    about 400 objects and 0.4 ms of a freshly drawn customer list, issue 11), so that a table
    may change its columns. What it changes are a column's attributes (`visible`, through
    `columns.hide()`; `accessor`), and a shallow copy keeps those per table; the values they
    hold (attrs dicts, labels) are read, never changed in place. Set by `shallow_copied_columns`."""

    def __deepcopy__(self, memo) -> dict:
        return {name: copy.copy(column) for name, column in self.items()}


def shallow_copied_columns(table_class: TableT) -> TableT:
    """Class decorator: the table's columns are copied shallowly for each table (see
    ShallowCopiedColumns). Only for a table whose code changes no column's attrs in place."""
    table_class.base_columns = ShallowCopiedColumns(table_class.base_columns)
    return table_class


class ShortDateColumn(tables.Column):
    """A date or time in the locale's short format. django-tables2's DateColumn and
    DateTimeColumn compile a small template for every cell."""

    # Formats that show the date only: a page's rows of one day share their text.
    DATE_ONLY = ("SHORT_DATE_FORMAT", "DATE_FORMAT")

    def __init__(self, *, format: str = "SHORT_DATE_FORMAT", **kwargs):  # noqa: A002 - as DateColumn names it
        self.format = format
        self._days: dict[tuple[date, str | None], str] = {}
        super().__init__(**kwargs)

    def render(self, value):
        if isinstance(value, datetime) and timezone.is_aware(value):
            value = timezone.localtime(value)
        if self.format not in self.DATE_ONLY:
            return date_format(value, self.format)
        day = value.date() if isinstance(value, datetime) else value
        key = (day, get_language())
        text = self._days.get(key)
        if text is None:
            if len(self._days) >= 512:
                self._days.clear()
            text = self._days[key] = date_format(day, self.format)
        return text


class ChoiceBadge:
    """A choice field's label as a Bootstrap badge coloured by its value (a status), for a list's
    cells (ChoiceBadgeColumn) and a page alike. The labels are translated once per language, not
    per cell: a cell template for it cost about a third of a freshly drawn deal list (issue 11)."""

    def __init__(self, choices: type[models.Choices], *, colors: dict[str, str], default: str, testid: str = ""):
        self.choices = choices
        self.colors = colors
        self.default_color = default
        self.testid = format_html(' data-testid="{}"', testid) if testid else ""
        self._labels: dict[str | None, dict[str, str]] = {}

    def html(self, value: str) -> str:
        labels = self._labels.get(language := get_language())
        if labels is None:
            labels = self._labels[language] = {choice.value: str(choice.label) for choice in self.choices}
        color = self.colors.get(value, self.default_color)
        return format_html('<span class="badge text-bg-{}"{}>{}</span>', color, self.testid, labels.get(value, value))


class ChoiceBadgeColumn(tables.Column):
    """A column of ChoiceBadges."""

    def __init__(self, badge: ChoiceBadge, **kwargs):
        self.badge = badge
        super().__init__(**kwargs)

    def render(self, value):
        return self.badge.html(value)


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
        self._row_attrs: dict[str, str] = {}

    def render(self, value, bound_column, record):
        """CheckBoxColumn.render, with the attributes every row shares written once per language
        (its own builds and translates them again for every row)."""
        if self.checked is not None or any(callable(value) for value in self._input_attrs().values()):
            return super().render(value, bound_column, record)
        language = get_language()
        shared = self._row_attrs.get(language)
        if shared is None:
            shared = self._row_attrs[language] = str(AttributeDict(self._input_attrs()).as_html())
        shared = mark_safe(shared)  # noqa: S308 - as_html escaped it
        return format_html('<input type="checkbox" name="{}" value="{}" {} />', bound_column.name, value, shared)

    def _input_attrs(self) -> dict:
        return self.attrs.get("td__input") or self.attrs.get("input") or {}


def url_template(viewname: str) -> Callable[[int], str]:
    """The URL of `viewname` for any id, its halves looked up once (helpers.id_url): for a table's cells."""
    head, tail = id_url_halves(viewname)
    return lambda pk: f"{head}{int(pk)}{tail}"  # int(): an id goes in, nothing else


@dataclass(frozen=True)
class FilterChip:
    """An active filter shown above a list's results, with the link that removes it."""

    label: str
    value: str
    remove_url: str
    name: str = ""


# Query parameters that page, sort or lay out a list rather than filter it.
NOT_FILTERS = ("page", "per_page", "sort", VIEW_PARAMETER, COLUMNS_PARAMETER)
# Those of them the filter bar does not show (the bar shows the columns and the saved view).
NOT_SHOWN_IN_BAR = ("page", "per_page", "sort")


class FilterBar:
    """The filter form split for the bar: the search and the main filters inline,
    the rest in the "More filters" panel (with how many of those are set).

    The fields are split, and the form's menus given their cached options, on
    first use: when the bar comes from the fragment cache they are never needed."""

    def __init__(self, filterset, chips: list[FilterChip]):
        self.filterset = filterset
        self.chips = chips

    @cached_property
    def _split(self) -> tuple[list[forms.BoundField], list[forms.BoundField]]:
        cache_model_choices(self.filterset.form)
        fields = self.filterset.form.visible_fields()
        wanted = getattr(self.filterset, "main_filters", None)
        if wanted is None:
            wanted = [field.name for field in fields[:MAIN_FILTERS_DEFAULT]]
        main = [field for name in wanted for field in fields if field.name == name]
        more = [field for field in fields if field.name not in wanted]
        return main, more

    @property
    def main(self) -> list[forms.BoundField]:
        return self._split[0]

    @property
    def more(self) -> list[forms.BoundField]:
        return self._split[1]

    @property
    def more_active(self) -> int:
        more_names = {field.name for field in self.more}
        return sum(chip.name in more_names for chip in self.chips)


# Without `main_filters` on the FilterSet, its first fields are the main ones.
MAIN_FILTERS_DEFAULT = 3


def filter_bar(filterset, chips: list[FilterChip]) -> FilterBar:
    """A FilterSet names its main filters in `main_filters = ("q", "owner", ...)`."""
    return FilterBar(filterset, chips)


def filter_chips(filterset, request: HttpRequest, *, empty_url: str | None = None) -> list[FilterChip]:
    """One chip per filter the query string sets, those that arrive by URL only
    (RFM drill-downs, dashboard links) included. A filter may say how its value
    reads with a `chip_display(value)` method; otherwise choices show their label.

    Removing a chip leaves the saved view it came from (`view` goes too); removing
    the last one leads to `empty_url` (the "clear" link when a default view would
    otherwise open again)."""
    # FilterSet.is_valid(): an unbound FilterSet (a list without filters) builds no form for it.
    if not filterset.is_valid():
        return []
    form = filterset.form
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
