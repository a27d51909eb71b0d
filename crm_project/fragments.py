"""Cached fragments of pages, each valid for one version of the rows it shows.

A version is a number in Django's cache (Redis in production) per model, e.g.
`crm:version:customers.tag`. Every write to a watched model bumps it: every SQL
statement that writes its tables (saves, deletes, many-to-many changes,
`bulk_create`, `update`, raw INSERT … SELECT; the admin, the services, imports,
seeds and shells alike) through an execute wrapper on every connection, and
explicitly `bump_cache_version(model)` where no statement passes Django's cursor
(a COPY into a watched table). A bump happens at once, for readers in the
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

Watched models: settings.CRM_CACHED_MODELS ("app_label.Model") and
settings.CRM_CACHED_ROW_MODELS. The first are the catalogue (users, teams, tags,
stages…): every rendered fragment depends on all of them. The second are the
lists' rows (customers, companies, CLV and RFM scores, deals): many and often written, so a
fragment depends on them only when its render read their tables (or used a cached
entry that did). A customer's save then redraws the customer lists, not every
user's side navigation.

Signals would miss set-based writes, which is why statements are watched
instead (`_bump_written`): an ORM `update()` or `bulk_create()`, a raw
INSERT … SELECT of an import, a merge's UPDATE all bump. Only COPY goes around
Django's cursor: the imports COPY into TEMP staging tables, then INSERT … SELECT
(that statement bumps); a COPY into a watched table must call
`bump_cache_version` itself (imports.sql.copy_from does).

Rendered HTML is kept the same way (`cached_fragment`, the `{% cachedfragment %}`
template tag): the filter bar of a list, the side navigation. An entry is kept per
user, language and time zone and the values the template names, and is used while
no catalogue model, nor a row model it read, has changed since it was rendered; a
fragment whose render read a table nobody watches is not kept. The request's CSRF token is never stored: it is
put back into the HTML on every use.

A list's whole content (crm_project.lists.CachedContentMixin: the table, its
pagination and count, the filter bar; the pipeline board's columns) is one such
fragment, found before the view builds its FilterSet or table (`ResponseFragment`):
on a miss the view's queries and the template's render are recorded together, and
the key holds the user's access as computed on that request (roles and team ids),
so a membership change never shows another scope's rows.

Checked by their queries: a customer list is valid for one version of the customers
table, so any customer's save made every customer list stale, though most of them
never showed that customer. On PostgreSQL a rendered fragment also keeps, for every
statement its render ran that read a row model's table, the SQL, its parameters and a
digest of the rows it returned (`Checks`). When only such versions have moved, the
statements run again (the last first: see rows_unchanged): if each returns the same rows, the view would run the
same statements with the same results and draw the same HTML (everything else it
depends on is in the key, or in a catalogue version that has not moved), so the entry
is used and stamped with the current versions. One statement's rows differ, a row
model read only through a nested cached entry, a server-side cursor or more than
CHECKED_ROWS_MAX rows: the fragment is drawn again, as before. A save redraws the
lists that show the saved row (or would now), not every list of its table.

Only the statements that may return other rows run again: those that read a table of a
moved model, and of a row model's tables (its own and its many-to-many tables) only when
a column they read was written. Every write moves a version per column it sets (a plain
UPDATE's SET list; any other write to the table moves ANY_COLUMN: an INSERT or DELETE
changes which rows there are), besides its model's (`written_columns`); a statement keeps
the columns it names as the ORM names them, `"table"."column"` (`_columns_read`; an
alias, the table unquoted or a column unqualified: not told, run again whenever the
model moved). An edit of a job title then re-runs a search's by-id reads, not its ids
and count: the versions of the columns a statement reads are read before it runs, and
again before the check runs the statements.

Round trips: a list page asked Redis ten times (each fragment read its entry, then
the versions it depends on). Within a request the versions are read once, all of
them, on first use (`request_started` opens that memo, `request_finished` closes it,
and this process's own bumps drop the names they bump from it); entries are also
kept in this process, pickled as Redis keeps them, and used while their versions
are current. A warm page then asks Redis once. Outside requests (workers, shells)
versions are read on every call, as before.
"""

import dataclasses
import hashlib
import pickle
import re
import secrets
from collections.abc import Callable, Hashable, Iterable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from functools import cache as memoize
from functools import partial
from typing import Any, NamedTuple, TypeVar, cast

from asgiref.local import Local
from django import forms
from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.core.signals import request_finished, request_started
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, models, transaction
from django.db.backends.signals import connection_created
from django.utils.translation import get_language

VERSION_KEY = "crm:version:{}"
CHOICES_KEY = "crm:choices:{}"
ROWS_KEY = "crm:rows:{}"
# The entries' shape is in the key (v3: each checked statement keeps the columns it read), so
# that code reading a new shape never meets an old one (and _stored_entry guards the rest).
FRAGMENT_KEY = "crm:fragment:v3:{}"
# Stands for the request's CSRF token in a stored fragment (a NUL never occurs in our HTML).
CSRF_PLACEHOLDER = "\x00crm:csrf-token\x00"
# A safety net only: entries are replaced when a version moves, not when they age.
CHOICES_TIMEOUT = 60 * 60
# Saves that change nothing a fragment shows: a login writes the user's last_login.
UNSHOWN_FIELDS = frozenset({"last_login"})
# A statement that returns more rows than this is not kept for checking (a list reads a page of them).
CHECKED_ROWS_MAX = 1000

FormT = TypeVar("FormT", bound=forms.BaseForm)

# db_table -> the version name of the model that owns it (its many-to-many tables included).
_watched_tables: dict[str, str] = {}
# The version names of the row models (settings.CRM_CACHED_ROW_MODELS): see the module's docstring.
_row_names: set[str] = set()
# db_table -> (the columns a trigger watches, the version name of the model whose table it writes,
# that table), one per trigger (settings.CRM_CACHED_TRIGGER_WRITES).
_trigger_writes: dict[str, list[tuple[frozenset[str], str, str]]] = {}
# A row model's own table -> its columns: their writes and reads are told apart (column versions).
_row_table_columns: dict[str, frozenset[str]] = {}
# The column version that moves with every write to a row table whose columns are not known.
ANY_COLUMN = "*"


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
    """Every fragment showing rows of `model` is stale: now, and again once the transaction commits
    (for a row model, whichever columns they read)."""
    name = model if isinstance(model, str) else version_name(model)
    _bump_version(name, using=using)
    for table in [table for table, owner in _watched_tables.items() if owner == name and table in _row_table_columns]:
        _bump_version(column_version_name(table, ANY_COLUMN), using=using)


def column_version_name(table: str, column: str) -> str:
    return f"{table}:{column}"


def _column_keys(table: str, columns: Iterable[str]) -> list[str]:
    """The column versions a read of `columns` of `table` depends on: theirs and ANY_COLUMN's."""
    return [column_version_name(table, column) for column in (ANY_COLUMN, *columns)]


def _bump_version(name: str, *, using: str | None = None) -> None:
    """Move one version now, and again once the transaction commits."""
    _bump(name)
    # One bump at the commit per name: an import's thousand statements need not queue a thousand.
    connection = transaction.get_connection(using)
    pending = connection.run_on_commit if connection.in_atomic_block else ()
    if any(getattr(callback, "crm_bumps", None) == name for _ids, callback, _robust in pending):
        return
    callback = partial(_bump, name)
    callback.crm_bumps = name  # type: ignore[attr-defined]
    transaction.on_commit(callback, using=using)


def _bump(name: str) -> None:
    memo = getattr(_request, "versions", None)
    if memo is not None:
        memo.pop(name, None)
    key = VERSION_KEY.format(name)
    try:
        cache.incr(key)
    except ValueError:  # not in the cache (never set, or evicted)
        cache.add(key, secrets.randbits(48), timeout=None)


def watch(model: type[models.Model], *, rows: bool = False) -> None:
    """Bump the model's version on every statement that writes its table or its many-to-many
    tables (`_bump_written`): saves, deletes, tag changes, `update()`, raw SQL. rows=True: a row model."""
    name = version_name(model)
    _watched_tables[model._meta.db_table] = name
    if rows:
        _row_names.add(name)
    for field in model._meta.local_many_to_many:
        _watched_tables[_through(field)._meta.db_table] = name


def _through(field) -> type[models.Model]:
    return cast(type[models.Model], field.remote_field.through)


def watch_settings_models() -> None:
    for label in settings.CRM_CACHED_MODELS:
        watch(apps.get_model(label))
    for label in settings.CRM_CACHED_ROW_MODELS:
        watch(apps.get_model(label), rows=True)
    _row_table_columns.clear()
    for label in settings.CRM_CACHED_ROW_MODELS:
        model = apps.get_model(label)
        # Its many-to-many tables too (a customer's tags): an edit of the row writes none of
        # them, so a statement that reads only them need not run again after it.
        for meta in (model._meta, *(_through(field)._meta for field in model._meta.local_many_to_many)):
            _row_table_columns[meta.db_table] = frozenset(field.column for field in meta.concrete_fields)
    _trigger_writes.clear()
    for label, columns, written in settings.CRM_CACHED_TRIGGER_WRITES:
        table = apps.get_model(label)._meta.db_table
        written_meta = apps.get_model(written)._meta
        _trigger_writes.setdefault(table, []).append(
            (frozenset(columns), written_meta.label_lower, written_meta.db_table)
        )
    connection_created.connect(_watch_writes, dispatch_uid="crm-fragments-watch-writes")
    for connection in connections.all(initialized_only=True):
        _watch_writes(connection=connection)


def _watch_writes(connection, **kwargs) -> None:
    if _bump_written not in connection.execute_wrappers:
        connection.execute_wrappers.insert(0, _bump_written)


# The table a statement writes: INSERT INTO t (SQLite: INSERT OR IGNORE INTO t), UPDATE t,
# DELETE FROM t, ... (quoted or not, with its schema or without).
_WRITES = re.compile(
    r'\b(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|REPLACE\s+INTO|UPDATE|DELETE\s+FROM|TRUNCATE(?:\s+TABLE)?|MERGE\s+INTO|COPY)\s+(?:ONLY\s+)?(?:"?\w+"?\.)?"?(\w+)"?',
    re.IGNORECASE,
)
# Django's UPDATE of one field by primary key (a login's last_login).
_ONE_FIELD_UPDATE = re.compile(r'UPDATE "(\w+)" SET "(\w+)" = %s WHERE "\w+"\."id" = %s$')


def written_names(sql: str) -> set[str]:
    """The version names of the watched tables a statement writes."""
    return _written(sql).names


def written_columns(sql: str) -> set[str]:
    """The column versions a statement moves: of a row model's table, the columns a plain UPDATE
    sets; any other write to one (an INSERT or DELETE changes which rows there are; COPY, an
    UPDATE of a SET list with a subquery or a row, a trigger's write) moves ANY_COLUMN."""
    return _written(sql).columns


class _Written(NamedTuple):
    names: set[str]
    columns: set[str]


def _written(sql: str) -> _Written:
    """What a statement writes, its SQL read once: the versions of the models (written_names)
    and of the row tables' columns (written_columns) it moves."""
    if _writes_nothing(sql):
        return _Written(set(), set())
    tables = _WRITES.findall(sql)
    set_columns = _set_columns(sql)
    triggered = _fired_triggers(sql, tables, set_columns)
    return _Written(_written_names(sql, tables, triggered), _written_columns(tables, set_columns, triggered))


def _written_names(sql: str, tables: list[str], triggered: list[tuple[str, str]]) -> set[str]:
    one_field = _ONE_FIELD_UPDATE.match(sql)
    if one_field and one_field.group(2) in UNSHOWN_FIELDS:
        return set()
    names = {name for table in tables if (name := _watched_tables.get(table)) is not None}
    return names | {name for name, _table in triggered}


def _written_columns(tables: list[str], set_columns: set[str] | None, triggered: list[tuple[str, str]]) -> set[str]:
    own = set_columns if len(tables) == 1 else None
    moved: set[str] = set()
    for table in tables:
        if table in _row_table_columns:
            columns = own & _row_table_columns[table] if own is not None else {ANY_COLUMN}
            moved.update(column_version_name(table, column) for column in columns)
    triggered_tables = {written for _name, written in triggered if written in _row_table_columns}
    return moved | {column_version_name(written, ANY_COLUMN) for written in triggered_tables}


def _writes_nothing(sql: str) -> bool:
    return sql.lstrip()[:7].upper().startswith(("SELECT", "SAVEPOI", "RELEASE", "EXPLAIN", "ROLLBAC"))


def _fired_triggers(sql: str, tables: list[str], set_columns: set[str] | None) -> list[tuple[str, str]]:
    """(version name, table) of what the triggers of the written `tables` may write: a plain UPDATE
    fires one when its SET list (`set_columns`) names a column the trigger watches (its WHERE only
    reads them: the soft-delete filter of every ORM update names `deleted_at`); any other
    statement, when it names one anywhere."""
    named = set_columns if set_columns is not None else {word.lower() for word in re.findall(r"\w+", sql)}
    return [
        (name, written)
        for table in tables
        for columns, name, written in _trigger_writes.get(table, ())
        if columns & named
    ]


# One assignment of a SET list: its column, quoted or not (a value's comparisons may add names: more, never fewer).
_ASSIGNED = re.compile(r'(?:^|,)\s*"?(\w+)"?\s*=')


def _set_columns(sql: str) -> set[str] | None:
    """The columns a plain UPDATE's SET list assigns; None when it is not one (or holds a subquery,
    or assigns a row `(a, b) = …`, whose columns this does not read)."""
    set_list = _SET_LIST.match(sql)
    if set_list is None or "SELECT" in set_list.group(1).upper() or re.search(r"\)\s*=", set_list.group(1)):
        return None
    return set(_ASSIGNED.findall(set_list.group(1)))


# A plain UPDATE's SET list: up to its first WHERE (a SET list with a subquery is not cut there).
_SET_LIST = re.compile(r"\s*UPDATE\s+\S+\s+SET\s+(.*?)\sWHERE\s", re.IGNORECASE | re.DOTALL)


def _bump_written(execute, sql, params, many, context):
    """An execute wrapper: a statement that wrote a watched table bumps its version."""
    result = execute(sql, params, many, context)
    if isinstance(sql, str):
        bump_written(sql, using=context["connection"].alias)
    return result


def bump_written(sql: str, *, using: str | None = None) -> None:
    """Move the versions of what a statement writes: its tables' models (and those their triggers
    write), and the column versions of the row tables among them (written_columns)."""
    written = _written(sql)
    for name in written.names | written.columns:
        _bump_version(name, using=using)


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
        _note_used(entry["versions"])
        return entry["rows"]
    entry = cache.get(cache_key)
    if entry is not None and cache_versions(entry["versions"]) == entry["versions"]:
        _local_set(cache_key, entry)
        _note_used(entry["versions"])
        return entry["rows"]
    with reading(using) as reads:
        rows = compute()
    versions = _versions_of(reads)
    if versions is not None:
        cache.set(cache_key, {"rows": rows, "versions": versions}, timeout=CHOICES_TIMEOUT)
        _local_set(cache_key, {"rows": rows, "versions": versions})
    return rows


# --- Rendered fragments -----------------------------------------------------------

# Fragments this process read or wrote: key -> (versions, html). HTML is immutable: no pickling.
_local_fragments: dict[str, "FragmentEntry"] = {}
# A filter bar is some kilobytes and there is one per user and query string (a search's
# words included): fewer kept in the process, and not for long in Redis.
LOCAL_FRAGMENTS_MAX = 512
FRAGMENT_TIMEOUT = 10 * 60


def cached_fragment(described: tuple, render: Callable[[], str], *, csrf_token: Callable[[], str]) -> str:
    """The HTML `render()` makes, from the cache while no watched model it depends on has changed.

    `described` must hold everything the HTML depends on besides watched rows (the
    template tag adds the user, language and time zone). An entry remembers every
    catalogue version and the versions of the row models it read, so any write to
    those renders it again; a render that reads a table nobody watches is not kept.
    The CSRF token is stored as a placeholder and `csrf_token()` is asked for only
    when the fragment has one."""
    fragment = ResponseFragment(described, csrf_token=csrf_token)
    if fragment.html is not None:
        return fragment.html
    with fragment.recording():
        html = render()
    fragment.keep(html)
    return html


class ResponseFragment:
    """A part of a response kept in the cache (see the module's docstring): `html` is the
    current entry's HTML (the CSRF token put back), or None; then the work that makes it
    (the view's queries, the template's render) runs inside `recording()`, maybe in
    several blocks, and `keep(html)` stores it, unless a block read a table nobody watches."""

    def __init__(self, described: tuple, *, csrf_token: Callable[[], str]):
        self.key = FRAGMENT_KEY.format(_digest(described))
        self.csrf_token = csrf_token
        self.reads: Reads | None = None
        self.html = self._current_html()

    def _current_html(self) -> str | None:
        entry = _local_fragments.get(self.key)
        if entry is None or cache_versions(entry[0]) != entry[0]:
            # Another process may have drawn it again; else the newest entry may still be checked.
            entry = self._checked(_stored_entry(self.key) or entry)
            if entry is None:
                return None
            _local_fragment_set(self.key, entry)
        _note_used(entry[0])
        html = entry[1]
        return html.replace(CSRF_PLACEHOLDER, self.csrf_token()) if CSRF_PLACEHOLDER in html else html

    def _checked(self, entry: "FragmentEntry | None") -> "FragmentEntry | None":
        """The entry if its versions are current, or if only versions its checks cover have moved and
        its statements return the same rows again (then kept with the current versions); else None."""
        if entry is None:
            return None
        versions = entry[0]
        current = cache_versions(versions)
        if current == versions:
            return entry
        checks = entry[2] if len(entry) > 2 else None
        moved = {name for name, version in versions.items() if current[name] != version}
        if checks is None or not moved <= checks.names:
            return None
        # Read before the statements run again: a write that commits meanwhile moves them again.
        columns_now = cache_versions(checks.column_versions)
        if not rows_unchanged(checks, moved, columns_now):
            return None
        entry = (current, entry[1], dataclasses.replace(checks, column_versions=columns_now))
        cache.set(self.key, entry, timeout=FRAGMENT_TIMEOUT)
        return entry

    def _store(self, entry: "FragmentEntry") -> None:
        try:
            cache.set(self.key, entry, timeout=FRAGMENT_TIMEOUT)
        except (pickle.PicklingError, TypeError, AttributeError):  # a statement's parameter that does not pickle
            entry = (entry[0], entry[1])
            cache.set(self.key, entry, timeout=FRAGMENT_TIMEOUT)
        _local_fragment_set(self.key, entry)

    @contextmanager
    def recording(self, using: str = DEFAULT_DB_ALIAS) -> Iterator["Reads"]:
        with reading(using, into=self.reads) as reads:
            self.reads = reads
            yield reads

    def keep(self, html: str, *, csrf_token: str | None = None) -> None:
        """Store `html`; `csrf_token`: the token it was drawn with, if not `self.csrf_token()`'s
        (Django masks the token anew on every get_token(): pass the one the template used)."""
        versions = None if self.reads is None else _fragment_versions(self.reads)
        if versions is None:
            return
        stored = html
        if "csrfmiddlewaretoken" in html and (token := csrf_token or self.csrf_token()):
            stored = html.replace(token, CSRF_PLACEHOLDER)
        checks = _checks_of(cast(Reads, self.reads))
        self._store((versions, stored) if checks is None else (versions, stored, checks))


# (versions, html) or (versions, html, checks): see ResponseFragment.
FragmentEntry = tuple[dict[str, int], str] | tuple[dict[str, int], str, "Checks"]


class Statement(NamedTuple):
    """A statement a fragment's render ran: its SQL and parameters, the digest of the rows it
    returned, the row-model names of the tables it read, and of each such table the columns it
    read (None: not told, it is run again whenever the table's model moved)."""

    sql: str
    params: Any
    digest: str
    names: frozenset[str]
    columns: dict[str, frozenset[str] | None]


@dataclass(frozen=True)
class Checks:
    """How to tell that a fragment still shows what its tables hold now, though their
    versions moved (see the module's docstring): the row-model names whose every read is
    among `statements`, and each statement, in order."""

    names: frozenset[str]
    statements: tuple[Statement, ...]
    using: str
    # The column versions (column_version_name) of the columns the statements read, before they ran.
    column_versions: dict[str, int] = dataclasses.field(default_factory=dict)


def rows_unchanged(checks: Checks, moved: set[str] | None = None, columns_now: dict[str, int] | None = None) -> bool:
    """Whether every statement that may read what was written since the draw returns the rows it
    returned then (moved=None: every statement). A statement may not when it read no table of the
    `moved` row models, or only columns whose versions (`columns_now` against the checks') have
    not moved: each write to a watched table moves its model's version, and those of the columns
    it sets. A statement that fails (its SQL older than a migration) means no: the fragment is
    drawn again.

    All must hold, so their order does not matter: the last first. A list's last statements read
    its page's rows by id (cheap, and the first to differ when a shown row was saved); its ids and
    count, the costly one, come first in a list and so are checked last."""
    connection = connections[checks.using]
    statements = [s for s in reversed(checks.statements) if _may_differ(s, moved, checks.column_versions, columns_now)]
    if not statements:
        return True
    # Inside a transaction a failed statement would break it: a savepoint keeps it usable.
    guard = transaction.atomic(using=checks.using) if connection.in_atomic_block else nullcontext()
    try:
        with guard, connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement.sql, statement.params)
                if _rows_digest(cursor.fetchall()) != statement.digest:
                    return False
    except DatabaseError:
        return False
    return True


def _may_differ(statement: Statement, moved: set[str] | None, then: dict[str, int], now: dict[str, int] | None) -> bool:
    """Whether a statement may return other rows now (see rows_unchanged); when in doubt, yes."""
    if moved is None:
        return True
    for name in statement.names & moved:
        tables = [table for table in statement.columns if _watched_tables.get(table) == name]
        if not tables or now is None:
            return True
        for table in tables:
            columns = statement.columns[table]
            if columns is None:
                return True
            keys = _column_keys(table, columns)
            if any(key not in then or now.get(key) != then[key] for key in keys):
                return True
    return False


def _stored_entry(key: str) -> "FragmentEntry | None":
    """The shared cache's entry, or None if it does not unpickle with this code (a class whose
    fields changed since it was stored): it is drawn again and replaced."""
    try:
        return cache.get(key)
    except (pickle.UnpicklingError, TypeError, AttributeError, ImportError, ValueError):
        return None


def _rows_digest(rows: list) -> str:
    return hashlib.blake2b(repr(rows).encode(), digest_size=16).hexdigest()


def _local_fragment_set(key: str, entry: FragmentEntry) -> None:
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


def _versions_of(reads: "Reads") -> dict[str, int] | None:
    """The versions of the watched tables a query read (and of the cached entries it used);
    None if it read a table nobody watches, or nothing."""
    names = {_watched_tables.get(table) for table in reads.tables}
    if None in names or not (names or reads.names):
        return None
    return {name: reads.before[name] for name in names | reads.names if name is not None}


def _fragment_versions(reads: "Reads") -> dict[str, int] | None:
    """A rendered fragment's: every catalogue version, and those of the row models it read;
    None if it read a table nobody watches."""
    names = {_watched_tables.get(table) for table in reads.tables}
    if None in names:
        return None
    catalogue = set(_watched_tables.values()) - _row_names
    return {name: reads.before[name] for name in catalogue | names | reads.names if name is not None}


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
        else:
            _note_used(entry["versions"])
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
    queryset = cast(models.QuerySet, field.queryset)  # _choices_key checked it
    with reading(queryset.db) as reads:
        choices = [(getattr(value, "value", value), str(label)) for value, label in cast(Iterable, field.choices)]
    return {"choices": choices, "versions": _versions_of(reads)}


def _use_choices(field: forms.ModelChoiceField, choices: list) -> None:
    # Both attributes, as ChoiceField's setter would; django-filter's setter would wrap them in its iterator.
    field._choices = field.widget.choices = choices  # type: ignore[attr-defined]


@memoize
def _model_tables() -> frozenset[str]:
    return frozenset(model._meta.db_table for model in apps.get_models(include_auto_created=True))


_QUOTED = re.compile(r'"([^"]+)"')


class Reads:
    """What a block of work read: the model tables its statements named, the version names
    of the cached entries it used, and every watched version as it was before it began."""

    def __init__(self, before: dict[str, int], using: str = DEFAULT_DB_ALIAS):
        self.before = before
        self.using = using
        self.tables: set[str] = set()
        self.names: set[str] = set()
        # The statements that read a row model's table, with the digest of their rows (Checks),
        # and the row-model names read in a way that cannot be checked again.
        self.statements: list[Statement] = []
        self.unchecked: set[str] = set()
        # The versions of the row tables' columns the statements read, each read before the first
        # statement that read it.
        self.column_versions: dict[str, int] = {}


# The Reads open in this thread (nested blocks: a fragment drawn inside a cached list's).
_open_reads = Local()


@contextmanager
def reading(using: str = DEFAULT_DB_ALIAS, *, into: Reads | None = None) -> Iterator[Reads]:
    """Record what the block reads (into `into`, to go on recording an earlier block's).
    Versions first: a write that commits while the block reads leaves its entry stale."""
    reads = into or Reads(cache_versions(sorted(set(_watched_tables.values()))), using)

    def record(execute, sql, params, many, context):
        tables = set(_QUOTED.findall(sql)) & _model_tables()
        reads.tables.update(tables)
        rows_read = {table: name for table in tables if (name := _watched_tables.get(table)) in _row_names}
        columns = {}
        if rows_read and context["connection"].vendor == "postgresql":
            columns = {table: _columns_read(sql, table) for table in rows_read}
            _read_column_versions(reads, columns)
        result = execute(sql, params, many, context)
        if rows_read:
            _remember_rows(reads, rows_read, columns, sql, params, many, context["cursor"])
        return result

    stack = getattr(_open_reads, "stack", None)
    if stack is None:
        stack = _open_reads.stack = []
    stack.append(reads)
    try:
        with connections[using].execute_wrapper(record):
            yield reads
    finally:
        stack.pop()


def _read_column_versions(reads: Reads, columns: dict[str, frozenset[str] | None]) -> None:
    """Before a statement runs: the versions of the columns it reads (for Checks), those this
    block has not read yet. A table whose columns are not told needs none: such a statement
    runs again whenever its model moved."""
    keys = [
        key
        for table, read in columns.items()
        if read is not None
        for key in _column_keys(table, read)
        if key not in reads.column_versions
    ]
    if keys:
        reads.column_versions.update(cache_versions(keys))


def _remember_rows(
    reads: Reads,
    tables: dict[str, str],
    columns: dict[str, frozenset[str] | None],
    sql: str,
    params,
    many: bool,
    cursor,
) -> None:
    """Keep the statement and the digest of the rows it returned, for Checks. PostgreSQL's
    client-side cursor holds them all: they are read, then the cursor is turned back to the
    first row for its caller. Elsewhere (SQLite, a server-side cursor, many rows) the names
    are marked unchecked: a fragment that read them is drawn again when they move."""
    raw = cursor.cursor
    checkable = cursor.db.vendor == "postgresql" and not many and getattr(raw, "name", None) is None and raw.description
    names = frozenset(tables.values())
    if not checkable or raw.rowcount > CHECKED_ROWS_MAX:
        reads.unchecked.update(names)
        return
    rows = raw.fetchall()
    if rows:  # (an empty result has no first row to go back to, nor need to)
        raw.scroll(0, mode="absolute")
    reads.statements.append(Statement(sql, params, _rows_digest(rows), names, columns))


_ALIAS = re.compile(r'\bAS\s+"\w+"')
_QUALIFIED_ELSEWHERE = re.compile(r'(?:\w|")\."\w+"')
# A quoted name, or a bare word in any case (PostgreSQL folds an unquoted name to lower case).
_WORD = re.compile(r'"(\w+)"|\b([A-Za-z_]\w*)\b')
# What may follow a table named unaliased: a clause, a join, the end of a FROM list or subquery.
_AFTER_TABLE = re.compile(
    r"\s*(?:$|\)|,|(?:WHERE|ON|LEFT|RIGHT|INNER|FULL|CROSS|JOIN|ORDER|GROUP|LIMIT|OFFSET|UNION|HAVING|FOR)\b)"
)


def _columns_read(sql: str, table: str) -> frozenset[str] | None:
    """The columns of `table` a statement reads, when every one of them is named as the ORM names
    them, `"table"."column"`; None when that cannot be told: the table has no column versions (not
    a row model's), or is named under an alias or unquoted, or a word of the statement is one of
    its column names unqualified. None is always safe: the statement runs again."""
    if table not in _row_table_columns:
        return None
    quoted = f'"{table}"'
    qualified = re.compile(re.escape(quoted) + r'\."(\w+)"')
    columns = frozenset(qualified.findall(sql))
    rest = qualified.sub(" ", sql)
    position = rest.find(quoted)
    while position >= 0:
        if not _AFTER_TABLE.match(rest, position + len(quoted)):
            return None  # an alias: its columns are named through it
        position = rest.find(quoted, position + 1)
    bare = _QUALIFIED_ELSEWHERE.sub(" ", _ALIAS.sub(" ", rest.replace(quoted, " ")))
    words = {quoted_word or word.lower() for quoted_word, word in _WORD.findall(bare)}
    if table in words or words & _row_table_columns[table]:
        return None
    return columns


def _checks_of(reads: Reads) -> "Checks | None":
    """The Checks of a fragment drawn with these reads: the row models whose reads were all kept
    (not those read through a cached entry, whose statements did not run)."""
    read = {name for table in reads.tables if (name := _watched_tables.get(table)) in _row_names}
    names = frozenset(read - reads.unchecked - reads.names)
    if not names or not reads.statements:
        return None
    keys = {
        key
        for statement in reads.statements
        for table, columns in statement.columns.items()
        if columns is not None
        for key in _column_keys(table, columns)
    }
    column_versions = {key: reads.column_versions[key] for key in keys if key in reads.column_versions}
    return Checks(names=names, statements=tuple(reads.statements), using=reads.using, column_versions=column_versions)


def _note_used(versions: dict[str, int] | None) -> None:
    """A cached entry was used: the blocks being recorded depend on what it was read from."""
    for reads in getattr(_open_reads, "stack", None) or ():
        reads.names.update(versions or ())
