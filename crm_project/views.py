"""Cross-cutting pages: role homes, global search, health, error pages."""

import logging

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.module_loading import import_string
from django.views.decorators.cache import never_cache

from accounts import roles

from .celery import app as celery_app
from .home import home_cards

logger = logging.getLogger(__name__)

HOME_TEMPLATES = {
    roles.ADMIN: "home/manager.html",
    roles.MANAGER: "home/manager.html",
    roles.SALES_REP: "home/rep.html",
    roles.SUPPORT_AGENT: "home/agent.html",
    None: "home/no_role.html",
}


@login_required
def home(request):
    role = roles.primary_role(request.user)
    return render(request, HOME_TEMPLATES[role], {"cards": home_cards(request=request, role=role)})


@login_required
def search(request):
    query = request.GET.get("q", "").strip()
    sections = []
    if query:
        for dotted in settings.CRM_SEARCH_PROVIDERS:
            sections.append(import_string(dotted)(user=request.user, query=query))
    any_results = any(section["results"] for section in sections)
    context = {"query": query, "sections": sections, "any_results": any_results}
    return render(request, "search.html", context)


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
