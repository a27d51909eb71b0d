"""Reads of the knowledge base: the public help centre sees published public
articles only; agents, managers and admins see everything, drafts and internal
articles included.

Search: PostgreSQL full text (the `simple` configuration, as articles may be in
any language) over title (weighted) and body, plus the title as a substring so
that a partial word still finds it; SQLite, the embedded set-up, matches substrings."""

import re

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from accounts import roles

from ..models import KbArticle, KbCategory, KbVote

SEARCH_CONFIG = "simple"
# Suggestions ignore words shorter than this ("how", "do", "my" would match everything).
SUGGEST_MIN_WORD = 4
SUGGEST_MAX_WORDS = 8


def may_manage_kb(user) -> bool:
    return roles.is_admin(user) or roles.is_manager(user) or roles.is_support_agent(user)


def public_articles() -> QuerySet[KbArticle]:
    return KbArticle.objects.filter(status=KbArticle.Status.PUBLISHED, visibility=KbArticle.Visibility.PUBLIC)


def public_article_get(*, slug: str) -> KbArticle:
    return get_object_or_404(public_articles().select_related("category"), slug=slug)


def public_categories() -> list[KbCategory]:
    """Categories that have published public articles, each with them (two queries)."""
    articles = public_articles().only("pk", "title", "slug", "category_id").order_by("title")
    categories = KbCategory.objects.filter(articles__in=public_articles()).distinct()
    return list(categories.prefetch_related(Prefetch("articles", queryset=articles, to_attr="public_articles")))


def staff_articles() -> QuerySet[KbArticle]:
    return KbArticle.objects.select_related("category", "author")


def kb_search(queryset: QuerySet[KbArticle], query: str) -> QuerySet[KbArticle]:
    """Articles matching every word of `query`, the best first."""
    query = query.strip()
    if not query:
        return queryset
    if connection.vendor == "postgresql":
        search = SearchQuery(query, search_type="websearch", config=SEARCH_CONFIG)
        return _ranked(queryset, search, Q(title__icontains=query))
    condition = Q()
    for word in query.split():
        condition &= Q(title__icontains=word) | Q(body__icontains=word)
    return queryset.filter(condition)


def kb_suggestions(*, text: str, include_internal: bool, limit: int = 5) -> list[KbArticle]:
    """Published articles sharing words with `text` (a subject, a customer's
    message), the best first; internal ones only for agents (include_internal)."""
    words = _words(text)
    if not words:
        return []
    queryset = KbArticle.objects.filter(status=KbArticle.Status.PUBLISHED).select_related("category")
    if not include_internal:
        queryset = queryset.filter(visibility=KbArticle.Visibility.PUBLIC)
    if connection.vendor == "postgresql":
        search = SearchQuery(words[0], config=SEARCH_CONFIG)
        for word in words[1:]:
            search |= SearchQuery(word, config=SEARCH_CONFIG)
        return list(_ranked(queryset, search, Q(pk__in=[]))[:limit])
    condition = Q()
    for word in words:
        condition |= Q(title__icontains=word) | Q(body__icontains=word)
    return list(queryset.filter(condition).order_by("title")[:limit])


def _ranked(queryset: QuerySet[KbArticle], search: SearchQuery, also: Q) -> QuerySet[KbArticle]:
    vector = SearchVector("title", weight="A", config=SEARCH_CONFIG) + SearchVector(
        "body", weight="B", config=SEARCH_CONFIG
    )
    return (
        queryset.annotate(document=vector, rank=SearchRank(vector, search))
        .filter(Q(document=search) | also)
        .order_by("-rank", "title", "pk")
    )


def _words(text: str) -> list[str]:
    seen: list[str] = []
    for word in re.findall(r"\w+", text.lower()):
        if len(word) >= SUGGEST_MIN_WORD and word not in seen:
            seen.append(word)
    return seen[:SUGGEST_MAX_WORDS]


def voted(*, article: KbArticle, voter: str) -> bool:
    return KbVote.objects.filter(article=article, voter=voter).exists()
