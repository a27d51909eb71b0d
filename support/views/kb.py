"""The knowledge base: the public help centre under /help/ (published public
articles only, no login) and the agents' pages under /support/kb/ (every
article, drafts and internal ones included)."""

import hashlib
from copy import copy

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm_project.throttling import client_ip, over_limit
from crm_project.versioning import StaleEdit, refused_edit_form

from ..forms.help import VoteForm
from ..forms.kb import KbArticleForm
from ..selectors import kb as selectors
from ..services import kb as services

KB_PAGE_SIZE = 25
VOTES_PER_HOUR = 30


# --- public -----------------------------------------------------------------------
def help_home(request):
    query = request.GET.get("q", "").strip()[:200]
    context = {"query": query}
    if query:
        context["results"] = list(selectors.kb_search(selectors.public_articles(), query)[:50])
    else:
        context["categories"] = selectors.public_categories()
    return render(request, "support/kb/help_home.html", context)


def help_article(request, slug):
    article = selectors.public_article_get(slug=slug)
    voted = selectors.voted(article=article, voter=_voter(request, create=False))
    return render(request, "support/kb/help_article.html", {"article": article, "voted": voted})


@require_POST
def help_article_vote(request, slug):
    article = selectors.public_article_get(slug=slug)
    # A new session per vote would get around "one per session": an address gets a few dozen an hour.
    if over_limit(scope="kb-vote", keys=[f"ip:{client_ip(request)}"], limit=VOTES_PER_HOUR):
        return render(request, "support/help/too_many.html", status=429)
    form = VoteForm(request.POST)
    if form.is_valid():
        counted = services.kb_vote(article=article, voter=_voter(request), helpful=form.cleaned_data["helpful"])
        messages.success(request, _("Thank you for your feedback.") if counted else _("You have already voted."))
    return redirect("support:help-article", slug=slug)


def _voter(request, *, create: bool = True) -> str:
    """One vote per browser session: a hash of its key (the key itself stays a secret)."""
    if request.session.session_key is None:
        if not create:
            return ""
        request.session.save()
    return hashlib.sha256(f"kb-vote:{request.session.session_key}".encode()).hexdigest()


# --- agents -----------------------------------------------------------------------
def _staff_only(request):
    if not selectors.may_manage_kb(request.user):
        raise PermissionDenied


@login_required
def kb_list(request):
    _staff_only(request)
    query = request.GET.get("q", "").strip()[:200]
    articles = selectors.kb_search(selectors.staff_articles(), query)
    if not query:
        articles = articles.order_by("category__position", "category__name", "title", "pk")
    page = Paginator(articles, KB_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "support/kb/kb_list.html", {"page": page, "query": query})


@login_required
def kb_article(request, slug):
    _staff_only(request)
    article = get_object_or_404(selectors.staff_articles(), slug=slug)
    crumbs = _crumbs((article.title, None))
    return render(request, "support/kb/kb_article.html", {"article": article, "crumbs": crumbs})


@login_required
def kb_create(request):
    _staff_only(request)
    form = KbArticleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        article = services.kb_article_create(
            category=_category(form, request.user), actor=request.user, **form.service_fields()
        )
        messages.success(request, _("The article “%(title)s” was saved.") % {"title": article.title})
        return redirect("support:kb-article", slug=article.slug)
    title = _("New article")
    return render(request, "support/kb/kb_form.html", {"form": form, "title": title, "crumbs": _crumbs((title, None))})


@login_required
def kb_edit(request, pk):
    _staff_only(request)
    article = get_object_or_404(selectors.staff_articles(), pk=pk)
    # A copy, so that the service sees the stored values (see customer_edit).
    form = KbArticleForm(request.POST or None, instance=copy(article))
    if request.method == "POST" and form.is_valid():
        try:
            services.kb_article_update(
                article=article,
                actor=request.user,
                version=form.opened_version(),
                category=_category(form, request.user),
                **form.service_fields(),
            )
        except StaleEdit:
            form = refused_edit_form(form, current=get_object_or_404(selectors.staff_articles(), pk=pk))
        else:
            messages.success(request, _("The article “%(title)s” was saved.") % {"title": article.title})
            return redirect("support:kb-article", slug=article.slug)
    title = _("Edit “%(title)s”") % {"title": article.title}
    crumbs = _crumbs((article.title, reverse("support:kb-article", args=[article.slug])), (_("Edit"), None))
    return render(request, "support/kb/kb_form.html", {"form": form, "title": title, "crumbs": crumbs})


def _crumbs(*tail):
    return [(_("Knowledge base"), reverse("support:kb-list")), *tail]


def _category(form, user):
    name = form.cleaned_data.get("new_category", "").strip()
    if name:
        return services.kb_category_create(name=name, actor=user)
    return form.cleaned_data["category"]
