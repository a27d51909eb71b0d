"""Writes for the knowledge base: articles (sanitised HTML, stale edits refused)
and the public "was this helpful" votes."""

import nh3
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.text import slugify

from accounts.models import User
from crm_project.versioning import version_claim

from ..models import KbArticle, KbCategory, KbVote

# What an article may contain. Images are allowed (screenshots are most of a
# how-to), but only from http(s) URLs: no data: or javascript: sources.
ALLOWED_TAGS = {"p", "br", "h2", "h3", "h4", "ul", "ol", "li", "a", "strong", "em", "code", "pre", "blockquote", "img"}
ALLOWED_ATTRIBUTES = {"a": {"href"}, "img": {"src", "alt"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}


def kb_clean_html(html: str) -> str:
    """The article body with everything else removed (scripts with their content)."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )


def _unique_slug(model, text: str, *, exclude_pk=None, max_length: int = 200) -> str:
    base = (slugify(text) or "article")[: max_length - 8]
    others = model.objects.exclude(pk=exclude_pk)
    slug, n = base, 2
    while others.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def kb_category_create(*, name: str, actor: User | None) -> KbCategory:
    existing = KbCategory.objects.filter(name__iexact=name.strip()).first()
    if existing is not None:
        return existing
    return KbCategory.objects.create(name=name.strip(), slug=_unique_slug(KbCategory, name, max_length=60))


@transaction.atomic
def kb_article_create(
    *, category: KbCategory, title: str, body: str, status: str, visibility: str, actor: User | None, slug: str = ""
) -> KbArticle:
    article = KbArticle(
        category=category,
        title=title,
        slug=_unique_slug(KbArticle, slug or title),
        body=kb_clean_html(body),
        status=status,
        visibility=visibility,
        author=actor,
    )
    article.full_clean()
    article.save()
    return article


@transaction.atomic
def kb_article_update(*, article: KbArticle, actor: User | None, version: int | None = None, **fields) -> KbArticle:
    """Save an edit; raises crm_project.versioning.StaleEdit when someone saved since the form opened."""
    # Every save raises the version, so a form opened before this one is refused too.
    version_claim(article, expected=article.version if version is None else version)
    if "body" in fields:
        fields["body"] = kb_clean_html(fields["body"])
    if fields.get("slug") is not None:
        wanted = fields["slug"] or fields.get("title") or article.title
        fields["slug"] = _unique_slug(KbArticle, wanted, exclude_pk=article.pk)
    for name, value in fields.items():
        setattr(article, name, value)
    article.full_clean(exclude=["slug"] if "slug" not in fields else None)
    # Only the edited fields: the vote counters move under F() and must not be written back.
    article.save(update_fields=[*fields, "version", "updated_at"])
    return article


@transaction.atomic
def kb_vote(*, article: KbArticle, voter: str, helpful: bool) -> bool:
    """Count one vote per voter and article; False (and nothing counted) for a second one."""
    try:
        with transaction.atomic():
            KbVote.objects.create(article=article, voter=voter, helpful=helpful)
    except IntegrityError:
        return False
    counter = "helpful_yes" if helpful else "helpful_no"
    KbArticle.objects.filter(pk=article.pk).update(**{counter: F(counter) + 1})
    return True
