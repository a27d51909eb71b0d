"""Small pure helpers that several apps need, one place each."""

import os
import re
from collections.abc import Iterable, Iterator
from itertools import islice

from django.conf import settings
from django.db import connections
from django.http import HttpRequest
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language

# Addresses at these providers say nothing about the person's company.
FREE_MAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "msn.com",
        "yahoo.com",
        "icloud.com",
        "me.com",
        "aol.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "yandex.com",
        "yandex.ru",
        "mail.ru",
        "proton.me",
        "protonmail.com",
    }
)


def normalize_phone(phone: str) -> str:
    """Digits only, keeping a leading +: "+49 (30) 123-45" -> "+493012345"."""
    phone = (phone or "").strip()
    digits = re.sub(r"\D", "", phone)
    return f"+{digits}" if phone.startswith("+") and digits else digits


def email_domain(email: str) -> str:
    """The company domain of an address, or "" for free-mail providers and blanks."""
    domain = email.rpartition("@")[2].strip().lower().removeprefix("www.")
    return "" if not domain or domain in FREE_MAIL_DOMAINS else domain


def chunks(iterable: Iterable, size: int) -> Iterator[list]:
    """Consecutive lists of at most `size` items."""
    iterator = iter(iterable)
    while chunk := list(islice(iterator, size)):
        yield chunk


def rows_for_ids(sql: str, ids: Iterable[int], *, using: str) -> list[tuple]:
    """The rows of `sql` for these ids: its `{ids}` becomes one placeholder per id.

    For the few hot reads of a list's page written in SQL (its tags, its lifetime values),
    where building and compiling the ORM's query cost several times running it (issue 11).
    `sql` holds only names, quoted by the caller; the ids travel as parameters."""
    values = [int(pk) for pk in ids]
    if not values:
        return []
    with connections[using].cursor() as cursor:
        cursor.execute(sql.format(ids=", ".join(["%s"] * len(values))), values)
        return cursor.fetchall()


def load_average() -> str:
    """The machine's load averages (1, 5, 15 minutes) for a bench's report: "1.0, 1.6, 2.3"."""
    return ", ".join(f"{figure:.1f}" for figure in os.getloadavg())


def next_url(request: HttpRequest, fallback: str) -> str:
    """Where a form sends the user back to: its `next` parameter when that is a
    path on this site, otherwise `fallback` ("//evil.example" is another site)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return fallback


# The two halves of a view's URL around its id, by view name and what reverse() depends on
# (the URLconf, the script prefix, the language): a few dozen entries; the bound guards a mistake.
_URL_HALVES: dict[tuple, tuple[str, str]] = {}
_URL_HALVES_MAX = 1024
_ID_MARKER = 9_876_543_210


def id_url(viewname: str, pk: int) -> str:
    """reverse(viewname, args=[pk]) for a view taking one integer id, from one reverse() per
    view: a list links every row, some rows twice, and reverse() costs about 40 µs (issue 11)."""
    head, tail = id_url_halves(viewname)
    return f"{head}{int(pk)}{tail}"  # int(): an id goes in, nothing else


def id_url_halves(viewname: str) -> tuple[str, str]:
    """The URL of `viewname` before and after its id."""
    key = (viewname, get_urlconf() or settings.ROOT_URLCONF, get_script_prefix(), get_language())
    halves = _URL_HALVES.get(key)
    if halves is None:
        if len(_URL_HALVES) >= _URL_HALVES_MAX:
            _URL_HALVES.clear()
        head, tail = reverse(viewname, args=[_ID_MARKER]).split(str(_ID_MARKER), 1)
        halves = _URL_HALVES[key] = (head, tail)
    return halves
