"""Time the REST API's customer list at a million customers beside a bare JSON view, in the same run.

    DATABASE_URL=postgres://… python manage.py bench_api                 # 1,000,000 customers
    python manage.py bench_api --customers 5000 --rounds 20              # SQLite: small sizes only

Uses bench_lists' customers ("BLIST-<n>", generated the same way when missing or of
another count; `make bench` runs bench_lists first, so they are there). Each endpoint
is asked with a real token of the bench admin (and one of the bench manager, whose
team scope the API applies), through Django's test Client with the full middleware
stack, in interleaved rounds, like bench_lists (a single in-process client is the
steadier measure on a shared 2-core box than gunicorn and a load generator):

- `GET /api/v1/customers/`: page 1, newest first (the cursor's order, -id);
- `?lifecycle_stage=customer` and `?country=de`: the list page's own filters;
- a deep cursor: a `cursor=` positioned 90 % of the way down the table.

Beside each, two bare views of the same 25 rows' same columns by -id (same filter
or position), `json.dumps` of `values()`: one behind `login_required` with the
session, as bench_lists' bare page (a client must be told apart somehow; this is
the floor the goal is judged against), and one with no authentication at all (its
ratio printed too). They are mounted for this command only (its own URLconf).

The throttle rates are raised for the run (the throttles still run: their cache
round trip is part of what is timed), and the request log lines go to /dev/null
(formatted, not printed). Goal: the API at least half the logged-in bare view's
requests per second. On a loaded machine every round trip to PostgreSQL or Redis
waits for a CPU, so the ratios drop with the load; the load average is printed.
"""

import json
import os
import statistics
import time
from base64 import b64encode
from collections.abc import Callable
from contextlib import contextmanager
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.http import HttpResponse
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import include, path

from accounts.models import User
from api.models import ApiToken
from api.serializers.customers import CustomerSerializer
from api.services import tokens
from customers.models import Customer

from .bench_lists import add_bench_arguments, bench_rows, check_bench_arguments

# The API serializer's columns (a relation as its id); its tags come from a second query.
_COLUMNS = {field.name: field.attname for field in Customer._meta.concrete_fields}
FIELDS = [_COLUMNS[name] for name in CustomerSerializer.Meta.fields if name in _COLUMNS]
TOKEN_NAME = "bench_api"  # noqa: S105  # a token's name, not a secret


def bare_json(request):
    """The floor: 25 rows of the same table and columns as the API, newest first, with
    their tags (a second query, as the API's prefetch), as JSON."""
    rows = Customer.objects.order_by("-id")
    if "lifecycle_stage" in request.GET:
        rows = rows.filter(lifecycle_stage=request.GET["lifecycle_stage"])
    if "country" in request.GET:
        rows = rows.filter(country__iexact=request.GET["country"])
    if "before" in request.GET:
        rows = rows.filter(id__lt=int(request.GET["before"]))
    results = list(rows.values(*FIELDS)[:25])
    tags: dict[int, list[str]] = {}
    through = Customer.tags.through.objects.filter(customer_id__in=[row["id"] for row in results])
    for customer_id, name in through.order_by("tag__name").values_list("customer_id", "tag__name"):
        tags.setdefault(customer_id, []).append(name)
    for row in results:
        row["tags"] = tags.get(row["id"], [])
    body = json.dumps({"results": results}, cls=DjangoJSONEncoder)
    return HttpResponse(body, content_type="application/json")


urlpatterns = [
    path("bench/bare.json", bare_json, name="bench-bare-json"),
    path("bench/login/bare.json", login_required(bare_json), name="bench-bare-json-login"),
    path("", include("crm_project.urls")),
]


def _cursor(position: int) -> str:
    """DRF's cursor format: base64 of `p=<last id seen>` (pagination.IdCursorPagination)."""
    return b64encode(urlencode({"p": position}).encode()).decode()


class Command(BaseCommand):
    help = "Time GET /api/v1/customers/ (page 1, filters, a deep cursor) against a bare JSON view."

    def add_arguments(self, parser):
        add_bench_arguments(parser, rounds=100, per="endpoint")

    def handle(self, *args, customers, rounds, fresh, **options):
        check_bench_arguments(customers=customers, rounds=rounds)
        admin, manager = bench_rows(customers=customers, fresh=fresh, step=self._step)
        raw = {user.username: _token(user) for user in (admin, manager)}
        rates = {"burst": "100000000/min", "sustained": "100000000/day"}
        with (
            override_settings(
                ROOT_URLCONF=__name__,
                DEBUG=False,
                REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates},
            ),
            _quiet_request_log(),
        ):
            self._measure(admin, manager, raw, rounds)

    def _step(self, label: str, work: Callable) -> None:
        started = time.perf_counter()
        work()
        self.stdout.write(f"{label}: {time.perf_counter() - started:.1f} s")

    def _measure(self, admin: User, manager: User, raw: dict[str, str], rounds: int) -> None:
        host = (settings.ALLOWED_HOSTS or ["localhost"])[0]
        clients = {name: Client(HTTP_HOST=host, HTTP_AUTHORIZATION=f"Bearer {token}") for name, token in raw.items()}
        clients["bare"] = Client(HTTP_HOST=host)
        clients["login"] = Client(HTTP_HOST=host)
        clients["login"].force_login(admin)
        a, m = admin.username, manager.username
        ids = Customer.objects.order_by("id").values_list("id", flat=True)
        deep = ids[max(0, ids.count() // 10)]  # 90 % of the way down, newest first
        api = "/api/v1/customers/"
        # (label, client, url, the bare URL it is compared with)
        pairs = [
            ("page 1 (admin)", a, api, "/bench/bare.json"),
            (
                "?lifecycle_stage=customer",
                a,
                f"{api}?lifecycle_stage=customer",
                "/bench/bare.json?lifecycle_stage=customer",
            ),
            ("?country=de", a, f"{api}?country=de", "/bench/bare.json?country=de"),
            ("deep cursor (90 %)", a, f"{api}?cursor={_cursor(deep)}", f"/bench/bare.json?before={deep}"),
            ("page 1 (manager's team scope)", m, api, "/bench/bare.json"),
        ]
        requests = [(f"api {label}", user, url) for label, user, url, _bare in pairs]
        bares = list(dict.fromkeys(bare for *_rest, bare in pairs))
        requests += [(f"bare {bare}", "bare", bare) for bare in bares]
        requests += [(f"login {bare}", "login", bare.replace("/bench/", "/bench/login/")) for bare in bares]
        self._check(clients, requests, deep)
        timings: dict[str, list[float]] = {label: [] for label, _client, _url in requests}
        for _round in range(rounds):
            for label, client, url in requests:
                started = time.perf_counter()
                clients[client].get(url)
                timings[label].append((time.perf_counter() - started) * 1000)
        median = {label: statistics.median(values) for label, values in timings.items()}
        sql = {label: _sql_of(clients[client], url) for label, client, url in requests}
        load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
        self.stdout.write(
            f"API lists at {Customer.objects.count():,} customers on {connection.vendor}, median of {rounds} "
            f"requests each (Django test Client, token auth, DEBUG off), load average {load}:"
        )
        self.stdout.write(
            f"  {'endpoint':<30} {'API':>8} {'req/s':>6} | {'bare, login':>11} {'req/s':>6} {'ratio':>5} | "
            f"{'bare, anon.':>11} {'req/s':>6} {'ratio':>5} | {'SQL (API)':>13}"
        )
        for label, _user, _url, bare in pairs:
            ours, login, anonymous = median[f"api {label}"], median[f"login {bare}"], median[f"bare {bare}"]
            queries, seconds = sql[f"api {label}"]
            self.stdout.write(
                f"  {label:<30} {ours:5.1f} ms {1000 / ours:6.0f} | {login:8.1f} ms {1000 / login:6.0f} "
                f"{login / ours:5.2f} | {anonymous:8.1f} ms {1000 / anonymous:6.0f} {anonymous / ours:5.2f} | "
                f"{queries:2d} q {seconds * 1000:5.1f} ms{'' if login / ours >= 0.5 else '  < 0.5'}"
            )

    def _check(self, clients: dict[str, Client], requests: list[tuple[str, str, str]], deep: int) -> None:
        """Warm up, and make sure every request answers what it should before timing it."""
        for label, client, url in requests:
            response = clients[client].get(url)
            if response.status_code != 200:
                raise CommandError(f"{url} ({label}) answered {response.status_code}: {response.content[:200]!r}")
            rows = response.json()["results"]
            if not rows:
                raise CommandError(f"{url} ({label}) answered no rows")
            if "cursor" in url or "before" in url:
                if rows[0]["id"] >= deep:
                    raise CommandError(f"{url} did not start below id {deep}")


def _token(user: User) -> str:
    """A fresh token for the run (the previous run's is revoked: raw tokens are never kept)."""
    for old in ApiToken.objects.filter(user=user, name=TOKEN_NAME):
        tokens.api_token_revoke(token=old, actor=None)
    _token_row, raw = tokens.api_token_create(
        user=user, name=TOKEN_NAME, scopes=["read"], expires_in_days=1, actor=None
    )
    return raw


def _sql_of(client: Client, url: str) -> tuple[int, float]:
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return len(queries), sum(float(query["time"]) for query in queries.captured_queries)


@contextmanager
def _quiet_request_log():
    """The API's request log line is still formatted (a real cost), but written to /dev/null."""
    import logging

    handlers = [handler for handler in logging.getLogger().handlers if isinstance(handler, logging.StreamHandler)]
    with open(os.devnull, "w") as devnull:
        previous = [handler.setStream(devnull) for handler in handlers]
        try:
            yield
        finally:
            for handler, stream in zip(handlers, previous, strict=True):
                handler.setStream(stream)
