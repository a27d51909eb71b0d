"""The global search: each app registers providers in settings.CRM_SEARCH_PROVIDERS.

A provider is `section(*, user, query, limit) -> SearchSection | None`: it starts
from its entity's `visible_to(user)` (or access helper), so nobody finds what
they may not open, and answers None when the user may not use that kind of
record at all. The full page and the top bar's dropdown render every section
the same way (templates/partials/search_result.html).

Ranking: an exact match of a reference or email first, then a word starting
with the query, then any other match. Providers fetch a few candidates without
ORDER BY (so PostgreSQL stops after the first rows its trigram index yields) and
`ranked` orders them; exact matches of references come from their own query,
so they are never crowded out by the candidates.
"""

from dataclasses import dataclass, field
from functools import reduce
from operator import or_
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils.module_loading import import_string

EXACT, PREFIX, CONTAINS = 0, 1, 2
# The dropdown opens from this many characters on.
MIN_QUERY_LENGTH = 2
# Shorter words match only the start of a value: a trigram index cannot answer
# "contains two characters", but it can answer "starts with them".
MIN_CONTAINS_LENGTH = 3
# Words of a query that count (a pasted paragraph does not make five hundred LIKEs).
MAX_WORDS = 5
# Candidates fetched per requested result, for `ranked` to choose from.
CANDIDATES_PER_RESULT = 4


@dataclass(frozen=True)
class SearchResult:
    kind: str  # "customer", "deal", …: the section it belongs to
    label: str
    url: str
    detail: str = ""
    rank: int = CONTAINS


@dataclass(frozen=True)
class SearchSection:
    kind: str
    title: str
    icon: str  # a Bootstrap icon's class, e.g. "bi-person"
    results: list[SearchResult] = field(default_factory=list)
    more_url: str = ""  # the entity's list, filtered by the query

    @property
    def best_rank(self) -> int:
        return min((result.rank for result in self.results), default=CONTAINS + 1)


def words(query: str) -> list[str]:
    return query.split()[:MAX_WORDS]


def text_filter(fields: list[str], query: str) -> Q:
    """Every word matches one of the fields: by prefix when short, anywhere otherwise.

    Both lookups compare UPPER(column) on PostgreSQL, which is what the trigram
    indexes (UPPER(column) gin_trgm_ops) are built on."""
    conditions = []
    for word in words(query):
        lookup = "icontains" if len(word) >= MIN_CONTAINS_LENGTH else "istartswith"
        conditions.append(reduce(or_, (Q(**{f"{name}__{lookup}": word}) for name in fields)))
    return reduce(lambda a, b: a & b, conditions, Q())


def rank(query: str, *values: str, exact: tuple[str, ...] = ()) -> int:
    """EXACT when one of `exact` (references, emails) equals the query, PREFIX
    when a value or one of its words starts with it, CONTAINS otherwise."""
    needle = query.strip().casefold()
    if any(value and value.casefold() == needle for value in exact):
        return EXACT
    for value in (*exact, *values):
        text = (value or "").casefold()
        if text.startswith(needle) or any(word.startswith(needle) for word in text.split()):
            return PREFIX
    return CONTAINS


def ranked(results: list[SearchResult], *, limit: int) -> list[SearchResult]:
    """Best rank first, then by label; each url once."""
    unique: dict[str, SearchResult] = {}
    for result in sorted(results, key=lambda r: (r.rank, r.label.casefold())):
        unique.setdefault(result.url, result)
    return list(unique.values())[:limit]


def list_url(viewname: str, query: str) -> str:
    """The entity's list filtered by the query (its filter's `q`)."""
    return reverse(viewname) + "?" + urlencode({"q": " ".join(query.split())})


def candidates(limit: int) -> int:
    return limit * CANDIDATES_PER_RESULT


def search_sections(*, user, query: str, limit: int) -> list[SearchSection]:
    """The non-empty sections of every registered provider; a section with an
    exact match comes first, the rest keep the settings' order."""
    query = query.strip()
    if len(query) < MIN_QUERY_LENGTH:
        return []
    sections = [import_string(dotted)(user=user, query=query, limit=limit) for dotted in settings.CRM_SEARCH_PROVIDERS]
    found = [section for section in sections if section is not None and section.results]
    return sorted(found, key=lambda section: section.best_rank != EXACT)
