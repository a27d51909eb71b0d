"""Saved views and the column chooser of every list (issue 11, section 3).

A saved view is a list's query string (filters, sort) and its chosen columns
under a name, kept in `accounts.SavedView`. The list frame (`lists.FilteredTableView`)
mixes in `SavedViewsMixin`, which
- opens `?view=<id>` as the view's query string, re-validated through the list's
  FilterSet (parameters that no longer validate are left out, never trusted);
- opens the bare list URL with the user's default view, if they chose one
  (any query string wins; `?view=` is the "clear" link: the plain list);
- shows only the columns `?cols=a,b` names (the first column always);
- puts the "Views" menu and the column chooser in the page's context.

The endpoints below save, update, delete a view and set the default; each is
access -> form -> one service call -> redirect, back to the list."""

from dataclasses import dataclass
from urllib.parse import urlsplit

import django_tables2 as tables
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponseRedirect, QueryDict
from django.urls import Resolver404, path, resolve
from django.utils.functional import SimpleLazyObject, cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts import selectors, services
from accounts.models import SavedView, Team

from .fragments import cached_result

# Parameters a list reads besides its filters: kept when a saved view is applied.
LIST_PARAMETERS = ("sort", "per_page")
VIEW_PARAMETER = "view"
COLUMNS_PARAMETER = "cols"


@dataclass(frozen=True)
class ColumnChoice:
    """An optional column of a list's table, for the column chooser."""

    name: str
    header: str
    shown: bool


class SavedViewsMixin:
    """The saved-view half of FilteredTableView (see the module's docstring)."""

    request: HttpRequest

    @property
    def list_key(self) -> str:
        """The list's URL name ("customers:customer-list"): the key its views are saved under."""
        match = self.request.resolver_match
        return match.view_name if match else ""

    @cached_property
    def saved_views(self) -> list[SavedView]:
        user, list_key = self.request.user, self.list_key
        # Named by user and list: not even the query is built while the entry is current.
        return cached_result(
            ("saved_views_for", user.pk, list_key),
            lambda: selectors.saved_views_for(user, list_key),  # type: ignore[arg-type]
        )

    @cached_property
    def active_view(self) -> SavedView | None:
        wanted = self.request.GET.get(VIEW_PARAMETER, "")
        return next((view for view in self.saved_views if str(view.pk) == wanted), None)

    @cached_property
    def default_view(self) -> SavedView | None:
        return next((view for view in self.saved_views if view.is_default), None)  # type: ignore[attr-defined]

    def get(self, request, *args, **kwargs):
        target = None if request.htmx else self.saved_view_target()
        if target is not None:
            return HttpResponseRedirect(target)
        return super().get(request, *args, **kwargs)  # type: ignore[misc]

    def saved_view_target(self) -> str | None:
        """Where a bare URL (the default view) or `?view=<id>` alone leads: the view's
        own query string, with `view=<id>` kept so the menu shows which one is open."""
        keys = set(self.request.GET.keys())
        if not keys and not self.request.META.get("QUERY_STRING"):
            chosen = self.default_view
        elif keys == {VIEW_PARAMETER}:
            chosen = self.active_view
            if chosen is None and self.request.GET[VIEW_PARAMETER]:
                messages.warning(self.request, _("That view no longer exists or is not shared with you."))
                return self.request.path + "?view="
        else:
            return None
        if chosen is None:
            return None
        query = self.validated_query(chosen)
        if not query:
            return None  # nothing to apply; the plain list is the view (no redirect loop)
        query[VIEW_PARAMETER] = str(chosen.pk)
        return f"{self.request.path}?{query.urlencode()}"

    def validated_query(self, saved_view: SavedView) -> QueryDict:
        """The view's stored query string, keeping only parameters the list's FilterSet
        accepts today (an owner who left, a tampered id, a removed custom field drop out)."""
        stored = QueryDict(saved_view.query)
        filterset_class = self.get_filterset_class()  # type: ignore[attr-defined]
        kwargs = self.get_filterset_kwargs(filterset_class)  # type: ignore[attr-defined]
        kwargs["data"] = stored
        filterset = filterset_class(**kwargs)
        filterset.form.is_valid()
        kept = QueryDict(mutable=True)
        for key in stored:
            known = key in filterset.filters and key not in filterset.form.errors
            if known or key in LIST_PARAMETERS:
                kept.setlist(key, stored.getlist(key))
        if len(kept) < len(stored):
            messages.warning(self.request, _("Some filters of this view no longer apply and were left out."))
        if saved_view.columns is not None:
            kept[COLUMNS_PARAMETER] = ",".join(saved_view.columns)
        return kept

    # --- the column chooser ----------------------------------------------------------
    def chosen_columns(self) -> list[str] | None:
        """`?cols=a,b`: the optional columns to show; None without the parameter (all)."""
        if COLUMNS_PARAMETER not in self.request.GET:
            return None
        return [name for name in self.request.GET[COLUMNS_PARAMETER].split(",") if name]

    def get_table(self, **kwargs):
        table = super().get_table(**kwargs)  # type: ignore[misc]
        chosen = self.chosen_columns()
        if chosen is not None:
            # Hiding (not `exclude`) leaves the view's get_table_kwargs alone, e.g. the
            # customer list's excluded checkboxes, and keeps the hidden ones offered.
            for name in optional_columns(table):
                if name not in chosen:
                    table.columns.hide(name)
        return table

    def saved_views_context(self, table) -> dict:
        user = self.request.user
        return {
            "list_key": self.list_key,
            "saved_views": self.saved_views,
            "active_view": self.active_view,
            "default_view": self.default_view,
            "saved_view_teams": cached_result(("teams_of", user.pk), lambda: list(selectors.teams_of(user))),  # type: ignore[arg-type]
            # Drawn in the filter bar only, which the fragment cache often has (header text per column).
            "column_choices": SimpleLazyObject(lambda: column_choices(table)),
            "columns_value": self.request.GET.get(COLUMNS_PARAMETER),
            "current_query": self.request.GET.urlencode(),
            # With a default view the bare URL opens it; `?view=` is the plain list.
            "clear_url": f"{self.request.path}?view=" if self.default_view else self.request.path,
        }


def optional_columns(table) -> list[str]:
    """The columns a user may hide: all but the row checkboxes and the first (name) column."""
    names = [column.name for column in table.columns.iterall() if not isinstance(column.column, tables.CheckBoxColumn)]
    return names[1:]


def column_choices(table) -> list[ColumnChoice]:
    optional = set(optional_columns(table))
    return [
        ColumnChoice(name=column.name, header=str(column.header), shown=column.visible)
        for column in table.columns.iterall()
        if column.name in optional
    ]


# --- endpoints ------------------------------------------------------------------------
class SavedViewForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=80)
    team = forms.ModelChoiceField(
        label=gettext_lazy("Share with"),
        queryset=Team.objects.none(),
        required=False,
        empty_label=gettext_lazy("Only me"),
    )
    make_default = forms.BooleanField(label=gettext_lazy("Open this list with it"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = selectors.teams_of(user)  # type: ignore[attr-defined]


def _list_key_for(request: HttpRequest) -> tuple[str, str]:
    """The list a form came from (its `path`): (URL name, path). Only lists that offer saved views."""
    list_path = urlsplit(request.POST.get("path", "")).path
    try:
        match = resolve(list_path)
    except Resolver404 as error:
        raise Http404 from error
    view_class = getattr(match.func, "view_class", None)
    if view_class is None or not issubclass(view_class, SavedViewsMixin):
        raise Http404
    return match.view_name, list_path


def _query_and_columns(request: HttpRequest) -> tuple[str, list[str] | None]:
    query = QueryDict(request.POST.get("query", "").lstrip("?"))
    columns = query.get(COLUMNS_PARAMETER)
    return query.urlencode(), None if columns is None else [name for name in columns.split(",") if name]


def _open(list_path: str, saved_view: SavedView) -> HttpResponseRedirect:
    return HttpResponseRedirect(f"{list_path}?{VIEW_PARAMETER}={saved_view.pk}")


@require_POST
@login_required
def saved_view_create(request):
    list_key, list_path = _list_key_for(request)
    form = SavedViewForm(request.POST, user=request.user)
    if not form.is_valid():
        messages.error(request, " ".join(" ".join(map(str, errors)) for errors in form.errors.values()))
        return HttpResponseRedirect(list_path)
    query, columns = _query_and_columns(request)
    try:
        saved_view = services.saved_view_create(
            actor=request.user,
            list_key=list_key,
            name=form.cleaned_data["name"],
            query=query,
            columns=columns,
            team=form.cleaned_data["team"],
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return HttpResponseRedirect(f"{list_path}?{query}" if query else list_path)
    if form.cleaned_data["make_default"]:
        services.saved_view_set_default(actor=request.user, list_key=list_key, saved_view=saved_view)
    messages.success(request, _("The view “%(name)s” was saved.") % {"name": saved_view.name})
    return _open(list_path, saved_view)


@require_POST
@login_required
def saved_view_update(request, pk):
    """Store the list's current filters and columns in the view, or rename it."""
    saved_view = selectors.saved_view_get_for_user(user=request.user, pk=pk)
    list_key, list_path = _list_key_for(request)
    if list_key != saved_view.list_key:
        raise Http404
    changes: dict = {}
    if "name" in request.POST:
        changes["name"] = request.POST["name"][:80]
    if "query" in request.POST:
        changes["query"], changes["columns"] = _query_and_columns(request)
    try:
        services.saved_view_update(saved_view=saved_view, actor=request.user, **changes)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The view “%(name)s” was updated.") % {"name": saved_view.name})
    return _open(list_path, saved_view)


@require_POST
@login_required
def saved_view_delete(request, pk):
    saved_view = selectors.saved_view_get_for_user(user=request.user, pk=pk)
    list_path = _list_key_for(request)[1]
    services.saved_view_delete(saved_view=saved_view, actor=request.user)
    messages.success(request, _("The view “%(name)s” was deleted.") % {"name": saved_view.name})
    return HttpResponseRedirect(f"{list_path}?{VIEW_PARAMETER}=")


@require_POST
@login_required
def saved_view_default(request):
    """Make the posted view (`view`) the user's default for its list; an empty `view` clears it."""
    list_key, list_path = _list_key_for(request)
    wanted = request.POST.get(VIEW_PARAMETER, "")
    saved_view = selectors.saved_view_get_for_user(user=request.user, pk=int(wanted)) if wanted.isdigit() else None
    try:
        services.saved_view_set_default(actor=request.user, list_key=list_key, saved_view=saved_view)
    except PermissionDenied:
        raise Http404 from None
    if saved_view is None:
        messages.success(request, _("This list now opens without a view."))
        return HttpResponseRedirect(f"{list_path}?{VIEW_PARAMETER}=")
    messages.success(request, _("This list now opens with “%(name)s”.") % {"name": saved_view.name})
    return _open(list_path, saved_view)


urlpatterns = [
    path("", saved_view_create, name="saved-view-create"),
    path("<int:pk>/update/", saved_view_update, name="saved-view-update"),
    path("<int:pk>/delete/", saved_view_delete, name="saved-view-delete"),
    path("default/", saved_view_default, name="saved-view-default"),
]
