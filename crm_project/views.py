"""Cross-cutting pages: role homes, global search, health, error pages."""

import logging

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts import roles

from .celery import app as celery_app
from .home import home_cards
from .search import MIN_QUERY_LENGTH, search_sections

logger = logging.getLogger(__name__)

# Results per kind on the search page and in the top bar's dropdown.
SEARCH_PAGE_LIMIT = 20
SEARCH_SUGGEST_LIMIT = 4

HOME_TEMPLATES = {
    roles.ADMIN: "home/manager.html",
    roles.MANAGER: "home/manager.html",
    roles.SALES_REP: "home/rep.html",
    roles.SUPPORT_AGENT: "home/agent.html",
    roles.MARKETER: "home/marketer.html",
    None: "home/no_role.html",
}


@login_required
def home(request):
    role = roles.primary_role(request.user)
    return render(request, HOME_TEMPLATES[role], {"cards": home_cards(request=request, role=role)})


@require_GET
@login_required
def search(request):
    query = request.GET.get("q", "").strip()
    sections = search_sections(user=request.user, query=query, limit=SEARCH_PAGE_LIMIT)
    context = {"query": query, "sections": sections, "too_short": 0 < len(query) < MIN_QUERY_LENGTH}
    return render(request, "search.html", context)


@require_GET
@login_required
def search_suggest(request):
    """The top bar's dropdown (htmx): a few results per kind, or nothing below two characters."""
    query = request.GET.get("q", "").strip()
    sections = search_sections(user=request.user, query=query, limit=SEARCH_SUGGEST_LIMIT)
    context = {"query": query, "sections": sections, "searched": len(query) >= MIN_QUERY_LENGTH}
    return render(request, "partials/search_suggest.html", context)


@never_cache
def healthz(request):
    checks = {"database": _check_database(), "broker": _check_broker()}
    healthy = all(value == "ok" for value in checks.values())
    body = {"status": "ok" if healthy else "error", **checks}
    return JsonResponse(body, status=200 if healthy else 503)


def _check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        logger.exception("Health check: database unreachable")
        return "error"
    return "ok"


def _check_broker() -> str:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception:
        logger.exception("Health check: broker unreachable")
        return "error"
    return "ok"


def permission_denied(request, exception=None):
    return render(request, "403.html", status=403)


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)
