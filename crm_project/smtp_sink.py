"""A real SMTP server (aiosmtpd, a dev dependency) on a free local port, for the
tests of support and marketing and for `manage.py bench_campaign`.

It records each accepted message (sender, recipients, Message-ID, raw bytes;
`message` parses it), can answer a chosen code to chosen recipients (4xx, 5xx),
can hold its reply to the K-th message (and to every later one) until released
(the crash test kills the worker while it waits), and stops and starts again on the same port (a mail
server that went down and came back).

It offers PIPELINING (RFC 2920), as real mail servers do: aiosmtpd reads its commands
from a stream in order, so a client's MAIL, RCPT and DATA sent at once are answered in
order; it only does not say so (`SinkHandler(pipelining=False)` makes it say nothing again).
Its cost per message is the floor of bench_campaign's rate, so it runs on uvloop and
reads a plain `<local@domain>` without the email package's header parser (aiosmtpd
parses every MAIL FROM and RCPT TO with it, and declares a class on each call: ~half of
its CPU time a message)."""

import asyncio
import email
import logging
import re
import socket
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default as default_policy

import uvloop
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

# aiosmtpd logs every SMTP command at INFO: 100k messages would print a million lines.
logging.getLogger("mail.log").setLevel(logging.WARNING)
_MESSAGE_ID = re.compile(rb"^message-id:([^\r\n]*)", re.IGNORECASE | re.MULTILINE)
# `<local@domain>` with a dot-atom on each side: what aiosmtpd's parser returns as it is.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_ANGLE_ADDRESS = re.compile(rf"[ \t]*<({_ATOM}(?:\.{_ATOM})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)>")


@dataclass(frozen=True)
class Received:
    mail_from: str
    recipients: tuple[str, ...]
    message_id: str
    raw: bytes  # empty when the sink keeps no raw messages (the benchmark)

    @property
    def message(self) -> EmailMessage:
        if not self.raw:
            raise ValueError("This sink keeps no raw messages (keep_raw=False).")
        return email.message_from_bytes(self.raw, policy=default_policy)


@dataclass
class SinkHandler:
    answers: dict[str, str] = field(default_factory=dict)  # recipient -> "451 Try later"
    hold_at: int | None = None  # hold the reply to this message (1-based) until `release` is set
    # ...and to every later one: a client sending over several connections at once then
    # has nothing between "250" and its bookkeeping when the test kills it.
    hold_later: bool = False
    keep_raw: bool = True
    pipelining: bool = True  # say PIPELINING in the EHLO reply
    received: list[Received] = field(default_factory=list)
    seen: int = 0
    held: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: N802 - aiosmtpd's hook
        session.host_name = hostname  # this hook's job once a handler has it
        if self.pipelining:
            responses.insert(-1, "250-PIPELINING")
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 - aiosmtpd's hook
        answer = self.answers.get(address)
        if answer:
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        with self.lock:
            self.seen += 1
            number = self.seen
        later = self.hold_later and not self.release.is_set()  # once released, later messages go through
        if self.hold_at is not None and (number == self.hold_at or (later and number > self.hold_at)):
            self.held.set()
            while not self.release.is_set():  # the client is killed meanwhile; nothing is recorded
                await asyncio.sleep(0.05)
            return "451 Released without delivery"
        data = envelope.content if isinstance(envelope.content, bytes) else envelope.content.encode()
        # The Message-ID by a regex over the head, not the email parser (~100 µs a message
        # in the bench, where the sink's time is the floor of the sending rate).
        found = _MESSAGE_ID.search(data.split(b"\r\n\r\n", 1)[0])
        received = Received(
            mail_from=envelope.mail_from or "",
            recipients=tuple(envelope.rcpt_tos),
            message_id=found.group(1).strip().decode(errors="replace") if found else "",
            raw=data if self.keep_raw else b"",
        )
        with self.lock:
            self.received.append(received)
        return "250 Message accepted for delivery"


class SinkSMTP(SMTP):
    """aiosmtpd's server; a plain angle address is read by a regex, anything else by aiosmtpd.
    Replies to pipelined commands go out together, as RFC 2920 (3.2) asks of a server and
    as Postfix does: a 2xx or 354 reply waits while more commands are already in, and
    leaves with the reply to the last of them (one write, not four). Any other reply, which
    may precede closing the connection, leaves at once with those before it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._replies: list[bytes] = []

    async def push(self, status) -> None:
        response = status.encode("utf-8" if self.enable_SMTPUTF8 else "ascii") if isinstance(status, str) else status
        self._replies.append(response + b"\r\n")
        # StreamReader keeps what has arrived and is not read yet in `_buffer` (no public name for it).
        if response[:1] == b"2" or response[:3] == b"354":
            if getattr(self._reader, "_buffer", None):
                return
        self._writer.write(b"".join(self._replies))
        self._replies.clear()
        await self._writer.drain()

    def _getaddr(self, arg: str):
        match = _ANGLE_ADDRESS.match(arg) if arg else None
        rest = arg[match.end() :] if match else ""
        if match is None or rest[:1] not in ("", " ", "\t") or rest.lstrip(" \t").startswith("("):
            return super()._getaddr(arg)  # a comment after it, a quoted or odd address: aiosmtpd's rules
        address = match.group(1)
        if self.local_part_limit and len(address.rpartition("@")[0]) > self.local_part_limit:
            return None, None
        return address, rest.lstrip(" \t")


class _Controller(Controller):
    def factory(self):
        return SinkSMTP(self.handler, **self.SMTP_kwargs)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Sink:
    """`with Sink() as sink:` or `start()`/`stop()` (again on the same port)."""

    def __init__(self, handler: SinkHandler | None = None, port: int | None = None):
        self.handler = handler or SinkHandler()
        self.port = port or free_port()
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        """For EMAIL_URL / MARKETING_EMAIL_URL."""
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    @property
    def messages(self) -> list[EmailMessage]:
        return [received.message for received in self.received]

    def addresses(self) -> list[str]:
        """Every recipient address delivered to, once per delivery."""
        return [to for received in self.received for to in received.recipients]

    def start(self) -> "Sink":
        self._controller = _Controller(self.handler, loop=uvloop.new_event_loop(), hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        self.handler.release.set()  # a held reply must not keep the server's loop busy
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> "Sink":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
