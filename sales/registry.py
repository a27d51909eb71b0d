"""How higher apps add sections to the sales homes ("My day" for reps, the team
overview for managers) without `sales` knowing them.

`sales` sits below `analytics` in the dependency order, so "My day" reads a list
of dotted paths in settings.CRM_MY_DAY_SECTIONS, each naming a `MyDaySection`.
A section's `context(request)` returns its template's context, or None when the
viewer gets nothing from it (its role, say). The same section re-renders on its
own through `sales:my-day-card <slug>` after an action in it (htmx "refresh").
A `lazy` section costs the home nothing: the home shows a placeholder that loads
the section from that URL once the page is up, so a slow read never delays the page.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class MyDaySection:
    slug: str  # its part of the URL /sales/my-day/<slug>/; must not clash with sales' own cards
    template: str
    context: Callable[[HttpRequest], dict | None]
    width: str = "col-12"  # the Bootstrap column classes on the home
    lazy: bool = False  # loaded after the page (htmx), for sections whose read can take a while
    # Lazy sections only: whether the viewer gets the section at all, decided without reading it.
    shown_to: Callable[[HttpRequest], bool] | None = None


def my_day_sections() -> list[MyDaySection]:
    return [import_string(dotted) for dotted in getattr(settings, "CRM_MY_DAY_SECTIONS", [])]


def my_day_section(slug: str) -> MyDaySection | None:
    return next((section for section in my_day_sections() if section.slug == slug), None)
