"""Reading mailboxes over IMAP, against a fake server object (no network): the raw
message is committed before the server is told anything, a refused sign-in fails
the job and leaves the mail unread, a Message-ID seen before is a no-op."""

import imaplib
import io
import json
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import parse_qs

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from jobs.models import JobRun
from jobs.services import job_enqueue
from support.models import InboundEmail, Mailbox, Ticket
from support.services import imap
from support.tests.factories import QueueFactory

# Transactional: flags must follow commits, which a test wrapped in a transaction cannot show.
pytestmark = pytest.mark.django_db(transaction=True)

FIXTURES = Path(__file__).parent / "mail_fixtures"
TURKISH = (FIXTURES / "turkish_iso8859_9.eml").read_bytes()
HTML = (FIXTURES / "html_only_script.eml").read_bytes()


class FakeImap:
    """The part of imaplib.IMAP4 the fetch uses, over messages held in memory."""

    def __init__(self, messages: dict[str, bytes], *, password="app-password", token="access-token"):  # noqa: S107
        self.messages = messages
        self.flags: dict[str, set[str]] = {uid: set() for uid in messages}
        self.password, self.token = password, token
        self.signed_in = self.logged_out = False
        self.stored_while: list[tuple[str, bool, bool]] = []  # (uid, raw committed, inside a transaction)

    def login(self, user, password):
        if password != self.password:
            raise imaplib.IMAP4.error("[AUTHENTICATIONFAILED] Invalid credentials (Failure)")
        self.signed_in = True
        return "OK", [b"Logged in"]

    def authenticate(self, mechanism, authobject):
        payload = authobject(b"")
        if (
            mechanism != "XOAUTH2"
            or payload != f"user=help@example-crm.test\x01auth=Bearer {self.token}\x01\x01".encode()
        ):
            raise imaplib.IMAP4.error("[AUTHENTICATIONFAILED] Invalid credentials (Failure)")
        self.signed_in = True
        return "OK", [b"Success"]

    def select(self, folder):
        assert self.signed_in and folder == "INBOX"
        return "OK", [str(len(self.messages)).encode()]

    def uid(self, command, *args):
        assert self.signed_in
        if command == "SEARCH":
            assert args == ("UNSEEN",)
            return "OK", [" ".join(uid for uid in self.messages if "\\Seen" not in self.flags[uid]).encode()]
        if command == "FETCH":
            uid, what = args
            assert what == "(BODY.PEEK[])"  # reading must not mark it seen
            raw = self.messages[uid]
            return "OK", [(f"1 (UID {uid} BODY[] {{{len(raw)}}}".encode(), raw), b")"]
        if command == "STORE":
            uid, operation, flags = args
            assert operation == "+FLAGS"
            committed = InboundEmail.objects.filter(raw=self.messages[uid]).exists()
            self.stored_while.append((uid, committed, connection.in_atomic_block))
            self.flags[uid] |= set(flags.strip("()").split())
            return "OK", [b""]
        raise AssertionError(command)

    def logout(self):
        self.logged_out = True
        return "BYE", [b""]


@pytest.fixture
def mailbox(db):
    queue = QueueFactory(slug="help", name="Help", inbound_address="help@example-crm.test")
    return Mailbox.objects.create(
        queue=queue, host="imap.example-crm.test", username="help@example-crm.test", password="app-password"
    )


def serve(monkeypatch, server: FakeImap) -> FakeImap:
    monkeypatch.setattr(imap, "imap_connect", lambda mailbox: server)
    return server


def test_each_unseen_message_is_committed_before_it_is_flagged_seen_on_the_server(mailbox):
    server = FakeImap({"7": TURKISH, "9": HTML})

    counts = imap.mailbox_fetch(mailbox=mailbox, connect=lambda mailbox: server)

    assert counts == {"created": 2}
    assert server.stored_while == [("7", True, False), ("9", True, False)]  # committed, outside any transaction
    assert server.flags == {"7": {"\\Seen", "\\Flagged"}, "9": {"\\Seen", "\\Flagged"}}
    rows = InboundEmail.objects.order_by("pk")
    assert [(row.source, row.mailbox, row.ticket.queue) for row in rows] == [("imap", mailbox, mailbox.queue)] * 2
    assert server.logged_out
    mailbox.refresh_from_db()
    assert mailbox.last_fetched_at is not None and mailbox.last_error == ""


def test_a_second_run_finds_nothing_new(mailbox):
    server = FakeImap({"7": TURKISH})
    imap.mailbox_fetch(mailbox=mailbox, connect=lambda mailbox: server)

    assert imap.mailbox_fetch(mailbox=mailbox, connect=lambda mailbox: server) == {}
    assert InboundEmail.objects.count() == 1


def test_a_message_id_seen_before_is_a_no_op_and_still_flagged(mailbox):
    """The same mail reached us twice (Cc'd to two addresses, or a run that died before flagging)."""
    server = FakeImap({"7": TURKISH, "8": TURKISH})

    counts = imap.mailbox_fetch(mailbox=mailbox, connect=lambda mailbox: server)

    assert counts == {"created": 1, "duplicate": 1}
    assert Ticket.objects.get().messages.count() == 1
    assert all("\\Seen" in flags for flags in server.flags.values())


def test_a_refused_sign_in_fails_the_job_with_the_error_and_leaves_the_mail_unflagged(mailbox, monkeypatch):
    server = serve(monkeypatch, FakeImap({"7": TURKISH}, password="changed-by-it"))

    with pytest.raises(imap.MailboxError):
        job_enqueue(task="support.fetch_mail")  # runs inline in the tests, as a worker would

    run = JobRun.objects.get(name="support.fetch_mail")
    expected = "help@example-crm.test: the server refused the sign-in: [AUTHENTICATIONFAILED] Invalid credentials"
    assert run.status == JobRun.Status.FAILED and expected in run.error
    mailbox.refresh_from_db()
    assert mailbox.last_error.startswith(expected) and mailbox.last_fetched_at is None
    assert server.flags == {"7": set()} and not InboundEmail.objects.exists()


def test_one_mailbox_refusing_does_not_stop_the_others_but_fails_the_run(mailbox, monkeypatch):
    other = Mailbox.objects.create(queue=mailbox.queue, host="imap.other.test", username="b@other.test", password="x")
    servers = {mailbox.pk: FakeImap({"1": TURKISH}), other.pk: FakeImap({"1": HTML}, password="y")}
    monkeypatch.setattr(imap, "imap_connect", lambda box: servers[box.pk])

    with pytest.raises(imap.MailboxError, match="b@other.test: the server refused"):
        imap.mailboxes_fetch()

    assert servers[mailbox.pk].flags == {"1": {"\\Seen", "\\Flagged"}}
    assert servers[other.pk].flags == {"1": set()}


def test_an_unreachable_server_is_a_clear_error_on_the_mailbox(mailbox):
    def refuse(box):
        raise ConnectionRefusedError(111, "Connection refused")

    with pytest.raises(imap.MailboxError, match="cannot connect to imap.example-crm.test"):
        imap.mailbox_fetch(mailbox=mailbox, connect=refuse)
    mailbox.refresh_from_db()
    assert "Connection refused" in mailbox.last_error


def test_the_job_reads_the_mailboxes_and_logs_the_counts(mailbox, monkeypatch):
    serve(monkeypatch, FakeImap({"7": TURKISH}))

    job_enqueue(task="support.fetch_mail")

    run = JobRun.objects.get(name="support.fetch_mail")
    assert (run.status, run.counts) == (JobRun.Status.SUCCEEDED, {"created": 1})


def test_beat_runs_the_fetch_every_minute():
    entry = settings.CELERY_BEAT_SCHEDULE["support-fetch-mail"]
    assert (entry["task"], entry["schedule"]) == ("support.fetch_mail", 60)


def test_the_command_prints_the_counts_and_exits_1_on_a_refused_sign_in(mailbox, monkeypatch):
    serve(monkeypatch, FakeImap({"7": TURKISH, "8": TURKISH}))
    out = io.StringIO()
    call_command("support_fetch_mail", stdout=out)
    assert out.getvalue() == "Fetched: created 1, duplicate 1.\n"

    serve(monkeypatch, FakeImap({}, password="other"))
    with pytest.raises(CommandError, match="refused the sign-in"):
        call_command("support_fetch_mail")


# --- OAuth2 ---------------------------------------------------------------------


class TokenEndpoint:
    def __init__(self, answer: dict | None = None, status: int = 200):
        self.answer, self.status = answer or {}, status
        self.requests: list = []

    def __call__(self, request, timeout):
        self.requests.append(request)
        if self.status != 200:
            raise HTTPError(request.full_url, self.status, "Bad Request", {}, io.BytesIO(b"{}"))
        return io.BytesIO(json.dumps(self.answer).encode())


@pytest.fixture
def oauth_mailbox(mailbox):
    mailbox.auth = Mailbox.Auth.XOAUTH2
    mailbox.password = ""
    mailbox.oauth_token_url = "https://oauth2.example.test/token"
    mailbox.oauth_client_id, mailbox.oauth_client_secret = "client-1", "s3cret"
    mailbox.oauth_refresh_token = "refresh-1"
    mailbox.save()
    return mailbox


def test_xoauth2_exchanges_the_refresh_token_and_signs_in_with_the_access_token(oauth_mailbox, monkeypatch):
    endpoint = TokenEndpoint({"access_token": "access-token", "expires_in": 3599, "token_type": "Bearer"})
    monkeypatch.setattr(imap, "urlopen", endpoint)
    server = FakeImap({"7": TURKISH}, password="not-used")

    assert imap.mailbox_fetch(mailbox=oauth_mailbox, connect=lambda box: server) == {"created": 1}

    (request,) = endpoint.requests
    assert request.full_url == "https://oauth2.example.test/token" and request.get_method() == "POST"
    assert parse_qs(request.data.decode()) == {
        "grant_type": ["refresh_token"], "refresh_token": ["refresh-1"],
        "client_id": ["client-1"], "client_secret": ["s3cret"],
    }  # fmt: skip


def test_a_refused_refresh_token_is_a_clear_error_and_nothing_is_read(oauth_mailbox, monkeypatch):
    monkeypatch.setattr(imap, "urlopen", TokenEndpoint(status=400))
    server = FakeImap({"7": TURKISH})

    with pytest.raises(imap.MailboxError, match="no OAuth2 access token from https://oauth2.example.test/token"):
        imap.mailbox_fetch(mailbox=oauth_mailbox, connect=lambda box: server)
    assert server.flags == {"7": set()} and not InboundEmail.objects.exists()


def test_an_expired_access_token_refused_by_the_server_fails_the_fetch(oauth_mailbox, monkeypatch):
    monkeypatch.setattr(imap, "urlopen", TokenEndpoint({"access_token": "stale"}))

    with pytest.raises(imap.MailboxError, match="refused the sign-in"):
        imap.mailbox_fetch(mailbox=oauth_mailbox, connect=lambda box: FakeImap({"7": TURKISH}))
