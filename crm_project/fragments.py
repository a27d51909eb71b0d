"""Cached fragments of pages, each valid for one version of the rows it shows.

A version is a number in Django's cache (Redis in production) per model, e.g.
`crm:version:customers.tag`. Every write to a watched model bumps it: saves,
deletes and many-to-many changes through signals (the admin, the services,
seeds and shells alike), set-based writes (`bulk_create`, `update`) through an
explicit `bump_cache_version(model)`. A bump happens at once, for readers in the
same transaction, and again after the commit, so that a reader who cached the
old rows between the two does so under a version that is already gone. A
version that the cache lost starts again at a random number, never at one an
old entry was stored under.

The filter bars' menus (owners, teams, tags, segments…) are the first fragments
(`cache_model_choices`): each list request read them with a query per menu,
through a server-side cursor, and built a model instance per option (issue 11).
`cached_rows` keeps the rows of a small query the same way (a list's saved
views, the teams to share them with, the active custom fields). An entry
remembers the versions of every table its queries read, and is used only while
all of them are current; a query that reads a table nobody watches is not
cached. Who may see what is never cached: access (roles, team scope) reads the
database on every request.

Watched models: settings.CRM_CACHED_MODELS ("app_label.Model").

Rendered HTML is kept the same way (`cached_fragment`, the `{% cachedfragment %}`
template tag): the filter bar of a list, the side navigation. An entry is kept per
user, language and time zone and the values the template names, and is used while
no watched model has changed since it was rendered; a fragment whose render read a
table nobody watches is not kept. The request's CSRF token is never stored: it is
put back into the HTML on every use.

Round trips: a list page asked Redis ten times (each fragment read its entry, then
the versions it depends on). Within a request the versions are read once, all of
them, on first use (`request_started` opens that memo, `request_finished` closes it,
and this process's own bumps drop the names they bump from it); entries are also
kept in this process, pickled as Redis keeps them, and used while their versions
are current. A warm page then asks Redis once. Outside requests (workers, shells)
versions are read on every call, as before.
"""

import hashlib
import pickle
import re
import secrets
from collections.abc import Callable, Hashable, Iterable, Iterator
from contextlib import contextmanager
from functools import cache as memoize
from typing import TypeVar, cast

from asgiref.local import Local
from django import forms
from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.core.signals import request_finished, request_started
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils.translation import get_language

VERSION_KEY = "crm:version:{}"
CHOICES_KEY = "crm:choices:{}"
ROWS_KEY = "crm:rows:{}"
FRAGMENT_KEY = "crm:fragment:{}"
# Stands for the request's CSRF token in a stored fragment (a NUL never occurs in our HTML).
CSRF_PLACEHOLDER = "\x00crm:csrf-token\x00"
# A safety net only: entries are replaced when a version moves, not when they age.
CHOICES_TIMEOUT = 60 * 60
# Saves that change nothing a fragment shows: a login writes the user's last_login.
UNSHOWN_FIELDS = frozenset({"last_login"})

FormT = TypeVar("FormT", bound=forms.BaseForm)

# db_table -> the version name of the model that owns it (its many-to-many tables included).
_watched_tables: dict[str, str] = {}


def version_name(model: type[models.Model]) -> str:
    return model._meta.label_lower


# This request's versions (None outside a request): see the module's docstring.
_request = Local()
# Entries this process read or wrote: key -> pickled entry. Cleared when full.
_local_entries: dict[str, bytes] = {}
LOCAL_ENTRIES_MAX = 2048


def _open_request_memo(**kwargs) -> None:
    _request.versions = {}


def _close_request_memo(**kwargs) -> None:
    _request.versions = None


request_started.connect(_open_request_memo, dispatch_uid="crm-fragments-request-started")
request_finished.connect(_close_request_memo, dispatch_uid="crm-fragments-request-finished")


def cache_versions(names: Iterable[str]) -> dict[str, int]:
    """The current version of each name (one cache round trip when all exist; none
    when this request has read them already)."""
    names = list(names)
    memo = getattr(_request, "versions", None)
    if memo is None:
        return _read_versions(names)
    if any(name not in memo for name in names):
        # Every watched name at once: the page's other fragments need theirs too.
        memo.update(_read_versions(sorted({*names, *_watched_tables.values()} - memo.keys())))
    return {name: memo[name] for name in names}


def _read_versions(names: Iterable[str]) -> dict[str, int]:
    keys = {name: VERSION_KEY.format(name) for name in names}
    found = cache.get_many(keys.values())
    missing = [key for key in keys.values() if key not in found]
    if missing:
        for key in missing:
            cache.add(key, secrets.randbits(48), timeout=None)
        found.update(cache.get_many(missing))
    return {name: found.get(key, 0) for name, key in keys.items()}


def bump_cache_version(model: type[models.Model] | str, *, using: str | None = None) -> None:
    """Every fragment showing rows of `model` is stale: now, and again once the transaction commits."""
    name = model if isinstance(model, str) else version_name(model)
    _bump(name)
    transaction.on_commit(lambda: _bump(name), using=using)


def _bump(name: str) -> None:
    memo = getattr(_request, "versions", None)
    if memo is not None:
        memo.pop(name, None)
    key = VERSION_KEY.format(name)
    try:
        cache.incr(key)
    except ValueError:  # not in the cache (never set, or evicted)
        cache.add(key, secrets.randbits(48), timeout=None)


def watch(model: type[models.Model]) -> None:
    """Bump the model's version on every save, delete and many-to-many change."""
    name = version_name(model)
    _watched_tables[model._meta.db_table] = name
    post_save.connect(_on_save, sender=model, dispatch_uid=f"crm-fragments-save-{name}")
    post_delete.connect(_on_write, sender=model, dispatch_uid=f"crm-fragments-delete-{name}")
    for field in model._meta.local_many_to_many:
        through = cast(type[models.Model], field.remote_field.through)
        _watched_tables[through._meta.db_table] = name
        m2m_changed.connect(_on_m2m, sender=through, dispatch_uid=f"crm-fragments-m2m-{through._meta.label_lower}")


def watch_settings_models() -> None:
    for label in settings.CRM_CACHED_MODELS:
        watch(apps.get_model(label))


def _on_save(sender, instance, update_fields=None, raw=False, using=None, **kwargs):
    if update_fields and set(update_fields) <= UNSHOWN_FIELDS:
        return
    bump_cache_version(sender, using=using)


def _on_write(sender, using=None, **kwargs):
    bump_cache_version(sender, using=using)


def _on_m2m(sender, instance, action, using=None, **kwargs):
    if action.startswith("post_"):
        bump_cache_version(_watched_tables[sender._meta.db_table], using=using)


# --- Rows -------------------------------------------------------------------------


def cached_rows(queryset: models.QuerySet, *, key: tuple[Hashable, ...] | None = None) -> list:
    """`list(queryset)`, from the cache while no table the query reads has changed.
    The key is the query's SQL and parameters, so a user's own rows (their id is a
    parameter) are never another user's. A caller may name the query instead
    (`key=("teams_of", user.pk)`: everything the query depends on),
    which spares compiling its SQL on every request (about half a millisecond)."""
    if queryset._prefetch_related_lookups:  # type: ignore[attr-defined]
        return list(queryset)  # the prefetches' own queries would go unwatched
    if key is not None:
        described: tuple = (queryset.model._meta.label, queryset.db, "named", key)
    else:
        try:
            sql, params = queryset.query.sql_with_params()
        except EmptyResultSet:
            return []
        described = (queryset.model._meta.label, queryset.db, sql, params)
    return cached_result(described, lambda: list(queryset), using=queryset.db)


def cached_result(described: tuple, compute: Callable[[], list], *, using: str = DEFAULT_DB_ALIAS) -> list:
    """What `compute()` returns (rows it reads), from the cache while no table its queries
    read has changed; not kept if it read a table nobody watches. `described` must name
    everything the result depends on besides those tables (the user, the list…):
    unlike cached_rows, no queryset is even built when the entry is current."""
    cache_key = ROWS_KEY.format(_digest(described))
    entry = _local_get(cache_key)
    if entry is not None and cache_versions(entry["versions"]) == entry["versions"]:
        return entry["rows"]
    entry = cache.get(cache_key)
    if entry is not None and cache_versions(entry["versions"]) == entry["versions"]:
        _local_set(cache_key, entry)
        return entry["rows"]
    before = cache_versions(sorted(set(_watched_tables.values())))
    with _tables_read(using) as tables:
        rows = compute()
    versions = _versions_of(tables, before)
    if versions is not None:
        cache.set(cache_key, {"rows": rows, "versions": versions}, timeout=CHOICES_TIMEOUT)
        _local_set(cache_key, {"rows": rows, "versions": versions})
    return rows


# --- Rendered fragments -----------------------------------------------------------

# Fragments this process read or wrote: key -> (versions, html). HTML is immutable: no pickling.
_local_fragments: dict[str, tuple[dict[str, int], str]] = {}
# A filter bar is some kilobytes and there is one per user and query string (a search's
# words included): fewer kept in the process, and not for long in Redis.
LOCAL_FRAGMENTS_MAX = 512
FRAGMENT_TIMEOUT = 10 * 60


def cached_fragment(described: tuple, render: Callable[[], str], *, csrf_token: Callable[[], str]) -> str:
    """The HTML `render()` makes, from the cache while no watched model has changed since.

    `described` must hold everything the HTML depends on besides watched rows (the
    template tag adds the user, language and time zone). An entry remembers every
    watched version, so any write to a watched model renders it again; a render
    that reads a table nobody watches is not kept. The CSRF token is stored as a
    placeholder and `csrf_token()` is asked for only when the fragment has one."""
    key = FRAGMENT_KEY.format(_digest(described))
    entry = _local_fragments.get(key)
    if entry is None or cache_versions(entry[0]) != entry[0]:
        entry = cache.get(key)
        if entry is not None and cache_versions(entry[0]) == entry[0]:
            _local_fragment_set(key, entry)
        else:
            entry = None
    if entry is not None:
        html = entry[1]
        return html.replace(CSRF_PLACEHOLDER, csrf_token()) if CSRF_PLACEHOLDER in html else html
    before = cache_versions(sorted(set(_watched_tables.values())))
    with _tables_read(DEFAULT_DB_ALIAS) as tables:
        html = render()
    if any(table not in _watched_tables for table in tables):
        return html
    stored = html
    if "csrfmiddlewaretoken" in html and (token := csrf_token()):
        stored = html.replace(token, CSRF_PLACEHOLDER)
    entry = (before, stored)
    cache.set(key, entry, timeout=FRAGMENT_TIMEOUT)
    _local_fragment_set(key, entry)
    return html


def _local_fragment_set(key: str, entry: tuple[dict[str, int], str]) -> None:
    if len(_local_fragments) >= LOCAL_FRAGMENTS_MAX:
        _local_fragments.clear()
    _local_fragments[key] = entry


def _local_get(key: str) -> dict | None:
    """This process's copy of an entry (a fresh one: callers may change the rows)."""
    pickled = _local_entries.get(key)
    return None if pickled is None else pickle.loads(pickled)  # noqa: S301 - pickled by this process


def _local_set(key: str, entry: dict) -> None:
    if len(_local_entries) >= LOCAL_ENTRIES_MAX:
        _local_entries.clear()
    _local_entries[key] = pickle.dumps(entry, pickle.HIGHEST_PROTOCOL)


def _versions_of(tables: set[str], before: dict[str, int]) -> dict[str, int] | None:
    """The versions of the watched tables a query read; None if it read one nobody watches (or none)."""
    names = {_watched_tables.get(table) for table in tables}
    if not names or None in names:
        return None
    return {name: before[name] for name in names if name is not None}


def _digest(described: tuple) -> str:
    return hashlib.sha256(repr(described).encode()).hexdigest()


# --- Model choices ------------------------------------------------------------


def cache_model_choices(form: FormT) -> FormT:
    """Give the form's model menus their options from the cache (reading them once per version).

    Validation is untouched: a submitted value is still looked up in the field's
    queryset, so a cached menu never lets anyone pick what the queryset refuses."""
    fields = [cast(forms.ModelChoiceField, field) for field in form.fields.values() if _cacheable(field)]
    keys = {id(field): key for field in fields if (key := _choices_key(field)) is not None}
    if not keys:
        return form
    entries = {key: entry for key in keys.values() if (entry := _local_get(key)) is not None}
    missing = [key for key in keys.values() if key not in entries or not _current(entries[key])]
    for key, entry in cache.get_many(missing).items() if missing else ():
        entries[key] = entry
        _local_set(key, entry)
    fresh = {}
    for field in fields:
        key = keys.get(id(field))
        if key is None:
            continue
        entry = entries.get(key)
        if entry is None or not _current(entry):
            entry = _read_choices(field)
            if entry["versions"] is not None:
                fresh[key] = entry
                _local_set(key, entry)
        _use_choices(field, entry["choices"])
    if fresh:
        cache.set_many(fresh, timeout=CHOICES_TIMEOUT)
    return form


def _current(entry: dict) -> bool:
    """Whether every table the entry was read from is still at the version it was read at."""
    versions = entry["versions"]
    return not versions or cache_versions(versions) == versions


def _cacheable(field: forms.Field) -> bool:
    """A model menu drawn by Django's plain select: its options need nothing but value and label."""
    return (
        isinstance(field, forms.ModelChoiceField)
        and type(field.widget) in (forms.Select, forms.SelectMultiple)
        and not hasattr(field, "_choices")
    )


def _choices_key(field: forms.ModelChoiceField) -> str | None:
    queryset = field.queryset
    if queryset is None:
        return None
    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet:
        return None
    label = field.label_from_instance
    described = (
        type(field).__module__,
        type(field).__qualname__,
        getattr(label, "__module__", ""),
        getattr(label, "__qualname__", ""),
        field.to_field_name,
        str(field.empty_label),
        str(getattr(field, "null_label", None)),
        str(getattr(field, "null_value", None)),
        queryset.db,
        sql,
        params,
        get_language(),
    )
    return CHOICES_KEY.format(_digest(described))


def _read_choices(field: forms.ModelChoiceField) -> dict:
    """The menu's (value, label) pairs and the versions of every table read to make them
    (None: a table nobody watches was read, so the menu is not cached)."""
    # Versions first: a write that commits while the options are read leaves the entry stale.
    before = cache_versions(sorted(set(_watched_tables.values())))
    queryset = cast(models.QuerySet, field.queryset)  # _choices_key checked it
    with _tables_read(queryset.db) as tables:
        choices = [(getattr(value, "value", value), str(label)) for value, label in cast(Iterable, field.choices)]
    return {"choices": choices, "versions": _versions_of(tables, before)}


def _use_choices(field: forms.ModelChoiceField, choices: list) -> None:
    # Both attributes, as ChoiceField's setter would; django-filter's setter would wrap them in its iterator.
    field._choices = field.widget.choices = choices  # type: ignore[attr-defined]


@memoize
def _model_tables() -> frozenset[str]:
    return frozenset(model._meta.db_table for model in apps.get_models(include_auto_created=True))


_QUOTED = re.compile(r'"([^"]+)"')


@contextmanager
def _tables_read(using: str) -> Iterator[set[str]]:
    """The model tables named by every statement run inside the block."""
    tables: set[str] = set()

    def record(execute, sql, params, many, context):
        tables.update(set(_QUOTED.findall(sql)) & _model_tables())
        return execute(sql, params, many, context)

    with connections[using].execute_wrapper(record):
        yield tables
