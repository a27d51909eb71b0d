"""Personas and shared fixtures for the whole suite.

Personas (healthchecks-style): `owner` and `teammate` are sales reps in the
same team, `outsider` is a rep in another team, `manager` leads the owner's
team, `agent` is a support agent and `admin_user` is a superuser.
"""

import os
import threading
from unittest import mock

import pytest
from django.apps import apps
from django.core.signals import request_finished, request_started
from django.test import override_settings

from accounts import roles
from accounts.tests.factories import PASSWORD, TeamFactory, UserFactory

# Playwright's sync API runs an event loop in the test thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CRM_CHROMIUM", "/usr/bin/chromium")
# CI sets this: browser and worker tests must run there, never skip.
REQUIRE_FULL_TESTS = os.environ.get("CRM_REQUIRE_FULL_TESTS", "") not in ("", "0")


def skip_or_fail(reason: str) -> None:
    """Skip on a developer's machine, fail where the full suite is required."""
    if REQUIRE_FULL_TESTS:
        pytest.fail(f"Required test cannot run: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session", autouse=True)
def _close_stray_connections_before_dropping_the_test_database(django_db_setup, django_db_blocker):
    """Playwright's greenlet can leave a PostgreSQL connection behind, which
    makes dropping the test database fail; end such sessions first."""
    yield
    with django_db_blocker.unblock():
        from django.db import connection

        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
        connection.close()


@pytest.fixture(autouse=True)
def _english_after_each_test():
    """A request in Turkish leaves Turkish active in the thread; start each test in English."""
    yield
    from django.utils import translation

    translation.activate("en")


@pytest.fixture(autouse=True)
def _empty_cache():
    """Every test starts with an empty cache: fragments an earlier test cached
    (crm_project/fragments.py) would show rows that its rollback removed."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def team(db):
    return TeamFactory(name="North")


@pytest.fixture
def other_team(db):
    return TeamFactory(name="South")


@pytest.fixture
def owner(team):
    user = UserFactory(username="olivia", first_name="Olivia", role=roles.SALES_REP)
    team.members.add(user)
    return user


@pytest.fixture
def teammate(team):
    user = UserFactory(username="tom", first_name="Tom", role=roles.SALES_REP)
    team.members.add(user)
    return user


@pytest.fixture
def outsider(other_team):
    user = UserFactory(username="oscar", first_name="Oscar", role=roles.SALES_REP)
    other_team.members.add(user)
    return user


@pytest.fixture
def manager(team):
    user = UserFactory(username="maria", first_name="Maria", role=roles.MANAGER)
    team.manager = user
    team.save(update_fields=["manager"])
    return user


@pytest.fixture
def agent(db):
    return UserFactory(username="alice", first_name="Alice", role=roles.SUPPORT_AGENT)


@pytest.fixture
def admin_user(db):
    return UserFactory(username="ada", first_name="Ada", is_staff=True, is_superuser=True)


@pytest.fixture
def list_count_queries():
    """The queries a list's total takes: one COUNT on SQLite; on PostgreSQL the
    planner's estimate, then a small set's sorted ids (crm_project.lists.ListPaginator)."""
    from django.db import connection

    return 2 if connection.vendor == "postgresql" else 1


@pytest.fixture
def early_in_a_minute(time_machine):
    """The clock one second into the next minute, still ticking. A list that shows the time
    of day keys its cached content by the minute (crm_project.lists.KeyedByTheMinute), so a
    test that asks it twice and expects the second answer from the cache must not straddle
    a minute's end; this leaves it 59 seconds (the deal list's day key likewise)."""
    from datetime import timedelta

    from crm_project.lists import this_minute

    time_machine.move_to(this_minute() + timedelta(minutes=1, seconds=1))


@pytest.fixture
def drawn_after_a_write(monkeypatch):
    """A write makes a cached list stale and it is drawn again, unchecked: for the tests that pin a
    drawn list's queries (on PostgreSQL a stale list is first checked by running its statements
    again, crm_project.fragments.Checks, which would add them or spare the draw)."""
    from crm_project import fragments

    monkeypatch.setattr(fragments, "rows_unchanged", lambda *args: False)


@pytest.fixture
def client_for(client):
    """Log the test client in as a persona: `client_for(owner)`."""

    def login(user):
        client.force_login(user)
        return client

    return login


# --- browser tests ------------------------------------------------------------
@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


class _RequestsInFlight:
    """The live server's requests not yet finished. A test can end while its page still
    has one in the server (an htmx load, a chart's data): the database's flush after the
    test then met that request's locks (a deadlock on PostgreSQL, CI 2026-12-07)."""

    def __init__(self):
        self.count = 0
        self.idle = threading.Condition()

    def started(self, **kwargs):
        with self.idle:
            self.count += 1

    def finished(self, **kwargs):
        with self.idle:
            self.count = max(0, self.count - 1)
            self.idle.notify_all()

    def wait(self, timeout: float) -> None:
        with self.idle:
            self.idle.wait_for(lambda: self.count == 0, timeout=timeout)


def pytest_collection_modifyitems(items):
    """A test that names `page` (a fixture, or a parameter so named) becomes pytest-playwright's:
    it is ordered with the browser tests, after the first of whose database flushes the rows the
    migrations seed (RFM segments, queues, stages) are gone. Browser tests ask for browser_page."""
    for item in items:
        if "page" in getattr(item, "fixturenames", ()) and item.get_closest_marker("browser") is None:
            raise pytest.UsageError(f"{item.nodeid} names `page`, pytest-playwright's fixture: call it otherwise.")


@pytest.fixture
def browser_page(request, live_server):
    """A Playwright page against the live server; skips (or fails in CI) without Chromium.
    After the test the page closes and the server's last requests finish before the
    database is flushed."""
    if not os.path.exists(CHROMIUM):
        skip_or_fail(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium).")
    in_flight = _RequestsInFlight()
    request_started.connect(in_flight.started, weak=False)
    request_finished.connect(in_flight.finished, weak=False)
    page = request.getfixturevalue("page")
    page.set_default_timeout(10_000)
    yield page
    page.close()
    in_flight.wait(timeout=10)
    request_started.disconnect(in_flight.started)
    request_finished.disconnect(in_flight.finished)


@pytest.fixture
def login_in_browser(browser_page, live_server):
    def login(user, password=PASSWORD):
        browser_page.goto(f"{live_server.url}/accounts/login/")
        browser_page.get_by_label("Username").fill(user.username)
        browser_page.get_by_label("Password").fill(password)
        browser_page.get_by_role("button", name="Log in").click()
        if password == PASSWORD:
            # The next page with its scripts: typing into the search box before htmx
            # has set up its listeners would send no request (the phone search test flaked so).
            browser_page.wait_for_url(lambda url: "/accounts/login/" not in url)
            browser_page.wait_for_load_state("load")
        return browser_page

    return login


@pytest.fixture
def smtp_sink(settings):
    """A running SMTP sink (crm_project.smtp_sink), and Django's real SMTP backend
    pointed at it; campaign mail (MARKETING_EMAIL_URL) goes there too."""
    from crm_project.smtp_sink import Sink

    sink = Sink().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    settings.MARKETING_EMAIL_URL = sink.url
    yield sink
    sink.stop()


# --- domain events (crm_project.events) -----------------------------------------
EMITTED_EVENTS: list[dict] = []


def record_event(**event) -> None:
    """A sink for settings.CRM_EVENT_SINKS that keeps what it is told (installed by `emitted`)."""
    EMITTED_EVENTS.append(event)


@pytest.fixture
def emitted(db):
    """The events the services emit during the test, in order: [{"name", "instance", "actor", "data"}, …]."""
    EMITTED_EVENTS.clear()
    with override_settings(CRM_EVENT_SINKS=["conftest.record_event"]):
        yield EMITTED_EVENTS
    EMITTED_EVENTS.clear()


class WebhookOutbox:
    """The webhook outbox as the tests of an emitting app see it (the models by name:
    the apps below webhooks do not import it)."""

    def subscribe(self, *events: str):
        endpoint = apps.get_model("webhooks", "WebhookEndpoint")
        return endpoint.objects.create(name="Receiver", url="https://example.com/hook", events=list(events))

    def events(self) -> list[str]:
        return list(apps.get_model("webhooks", "WebhookEvent").objects.order_by("pk").values_list("name", flat=True))

    def deliveries(self) -> int:
        return apps.get_model("webhooks", "WebhookDelivery").objects.count()


@pytest.fixture
def webhook_outbox(db):
    """The real sink (webhooks.sinks.outbox_sink), nobody subscribed until `subscribe`;
    no delivery is ever attempted (the enqueueing after commit is stubbed)."""
    with (
        override_settings(CRM_EVENT_SINKS=["webhooks.sinks.outbox_sink"]),
        mock.patch("webhooks.services.delivery.deliveries_enqueue"),
    ):
        yield WebhookOutbox()
