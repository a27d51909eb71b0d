"""Small pure helpers that several apps need, one place each."""

import os
import re
from collections.abc import Iterable, Iterator
from itertools import islice

from django.db import connections
from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

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
