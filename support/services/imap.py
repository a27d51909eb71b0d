"""Reading the support mailboxes (support.models.Mailbox) over IMAP with TLS,
signed in with a password or OAuth2 (XOAUTH2, as Gmail and Microsoft 365 want).

Each unseen message is read without marking it (BODY.PEEK), handed to
`email_ingest` (which commits the raw message before anything else), and only
then flagged \\Seen and \\Flagged on the server. A crash in between leaves the
message unseen: the next run reads it again and its Message-ID makes that a no-op.
A refused sign-in records the error on the mailbox and fails the run; nothing on
the server is touched."""

import imaplib
import json
import ssl
from collections import Counter
from collections.abc import Callable
from typing import NoReturn
from urllib.error import URLError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Mailbox
from .inbound import email_ingest

SEARCH = "UNSEEN"  # what a person has not read yet: old mail in the box is not imported
DONE_FLAGS = r"(\Seen \Flagged)"
FETCH_LIMIT = 200  # per mailbox and run; the next run (a minute later) takes the rest
TIMEOUT = 30  # seconds, for the IMAP connection and the token request

Connect = Callable[[Mailbox], imaplib.IMAP4]


class MailboxError(Exception):
    """A mailbox could not be read (connection, sign-in or folder); the message says which and why."""


def imap_connect(mailbox: Mailbox) -> imaplib.IMAP4:
    """IMAP over TLS with certificate and host name checks (the tests pass a fake instead)."""
    return imaplib.IMAP4_SSL(mailbox.host, mailbox.port, ssl_context=ssl.create_default_context(), timeout=TIMEOUT)


def mailboxes_fetch(*, connect: Connect | None = None) -> dict:
    """Read every active mailbox. One that fails does not stop the others; the run
    then fails with every mailbox's error, so the job log shows it."""
    counts: Counter[str] = Counter()
    errors = []
    for mailbox in Mailbox.objects.filter(is_active=True).select_related("queue").order_by("pk"):
        try:
            counts.update(mailbox_fetch(mailbox=mailbox, connect=connect))
        except MailboxError as error:
            errors.append(str(error))
    if errors:
        raise MailboxError(" ".join(errors))
    return dict(counts)


def mailbox_fetch(*, mailbox: Mailbox, connect: Connect | None = None) -> dict:
    """Ingest the mailbox's unseen messages; returns counts by outcome."""
    if transaction.get_connection().in_atomic_block:
        # Flags must follow commits: inside a transaction the raw rows would not be committed yet.
        raise RuntimeError("mailbox_fetch must run outside a transaction")
    try:
        client = (connect or imap_connect)(mailbox)
    except (OSError, imaplib.IMAP4.error) as error:
        _failed(mailbox, _("%(mailbox)s: cannot connect to %(host)s: %(error)s"), error=error)
    try:
        counts = _read(client, mailbox)
    finally:
        _logout(client)
    Mailbox.objects.filter(pk=mailbox.pk).update(last_fetched_at=timezone.now(), last_error="")
    return counts


def _read(client: imaplib.IMAP4, mailbox: Mailbox) -> dict:
    _sign_in(client, mailbox)
    try:
        status, _data = client.select(mailbox.folder)
        if status != "OK":
            raise imaplib.IMAP4.error(f"SELECT {mailbox.folder} answered {status}")
        status, found = client.uid("SEARCH", SEARCH)
    except imaplib.IMAP4.error as error:
        _failed(mailbox, _("%(mailbox)s: cannot read the folder: %(error)s"), error=error)
    counts: Counter[str] = Counter()
    for uid in (found[0] or b"").decode().split()[:FETCH_LIMIT]:
        raw = _fetch(client, uid)
        if raw is None:
            counts["unreadable"] += 1
            continue
        row = email_ingest(raw=raw, queue=mailbox.queue, mailbox=mailbox, source="imap")
        # email_ingest has committed the raw message (and its ticket): now the server may forget it.
        client.uid("STORE", uid, "+FLAGS", DONE_FLAGS)
        counts[row.outcome] += 1
    return dict(counts)


def _sign_in(client: imaplib.IMAP4, mailbox: Mailbox) -> None:
    try:
        if mailbox.auth == Mailbox.Auth.XOAUTH2:
            token = oauth_access_token(mailbox)
            payload = f"user={mailbox.username}\x01auth=Bearer {token}\x01\x01".encode()
            client.authenticate("XOAUTH2", lambda _challenge: payload)
        else:
            client.login(mailbox.username, mailbox.password)
    except imaplib.IMAP4.error as error:
        _failed(mailbox, _("%(mailbox)s: the server refused the sign-in: %(error)s"), error=error)


def oauth_access_token(mailbox: Mailbox) -> str:
    """Exchange the mailbox's refresh token for an access token (RFC 6749 section 6)."""
    form = {
        "grant_type": "refresh_token",
        "refresh_token": mailbox.oauth_refresh_token,
        "client_id": mailbox.oauth_client_id,
        "client_secret": mailbox.oauth_client_secret,
    }
    request = Request(mailbox.oauth_token_url, data=urlencode(form).encode(), method="POST")  # noqa: S310
    request.add_header("Content-Type", "application/x-www-form-urlencoded")
    request.add_header("Accept", "application/json")
    try:
        with urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310 - the admin's https token URL
            return str(json.loads(response.read())["access_token"])
    except (URLError, OSError, ValueError, KeyError, TypeError) as error:
        _failed(
            mailbox,
            _("%(mailbox)s: no OAuth2 access token from %(host)s: %(error)s"),
            error=error,
            host=mailbox.oauth_token_url,
        )


def _fetch(client: imaplib.IMAP4, uid: str) -> bytes | None:
    """The whole message, read with BODY.PEEK so the server does not mark it seen yet."""
    status, data = client.uid("FETCH", uid, "(BODY.PEEK[])")
    if status != "OK":
        return None
    for item in data or []:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            return item[1]
    return None


def _failed(mailbox: Mailbox, template: str, *, error: BaseException, host: str = "") -> NoReturn:
    """Record why on the mailbox (its admin page shows it) and stop this mailbox's run."""
    message = template % {"mailbox": mailbox.username, "host": host or mailbox.host, "error": _error_text(error)}
    Mailbox.objects.filter(pk=mailbox.pk).update(last_error=message)
    mailbox.last_error = message
    raise MailboxError(message) from error


def _error_text(error: BaseException) -> str:
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    text = error.args[0] if len(error.args) == 1 else str(error)
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    return str(text) or type(error).__name__


def _logout(client: imaplib.IMAP4) -> None:
    try:
        client.logout()
    except (OSError, imaplib.IMAP4.error):
        pass  # the session is over either way
