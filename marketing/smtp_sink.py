"""An aiosmtpd sink on a free port, for the tests and `manage.py bench_campaign` (aiosmtpd is a dev dependency).

It records accepted messages (recipient, Message-ID) and can answer a chosen
code to chosen recipients (4xx, 5xx), or hold its reply to the K-th message
until released (the crash test kills the worker while it waits)."""

import logging
import re
import socket
import threading
from dataclasses import dataclass, field

from aiosmtpd.controller import Controller

# aiosmtpd logs every SMTP command at INFO: 100k messages would print a million lines.
logging.getLogger("mail.log").setLevel(logging.WARNING)
_MESSAGE_ID = re.compile(rb"^message-id:([^\r\n]*)", re.IGNORECASE | re.MULTILINE)


@dataclass
class Received:
    to: str
    message_id: str
    raw: bytes


@dataclass
class SinkHandler:
    answers: dict[str, str] = field(default_factory=dict)  # recipient -> "451 Try later"
    hold_at: int | None = None  # hold the reply to this message (1-based) until `release` is set
    keep_raw: bool = True
    received: list[Received] = field(default_factory=list)
    seen: int = 0
    held: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        answer = self.answers.get(address)
        if answer:
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.seen += 1
            number = self.seen
        if self.hold_at is not None and number == self.hold_at:
            self.held.set()
            while not self.release.is_set():  # the client is killed meanwhile; nothing is recorded
                await _sleep(0.05)
            return "451 Released without delivery"
        data = envelope.content if isinstance(envelope.content, bytes) else envelope.content.encode()
        # The Message-ID by a regex over the head, not the email parser (~100 µs a message
        # in the bench, where the sink's time is the floor of the sending rate).
        found = _MESSAGE_ID.search(data.split(b"\r\n\r\n", 1)[0])
        message_id = found.group(1).strip().decode(errors="replace") if found else ""
        with self.lock:
            for to in envelope.rcpt_tos:
                self.received.append(Received(to=to, message_id=message_id, raw=data if self.keep_raw else b""))
        return "250 Message accepted"


async def _sleep(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Sink:
    def __init__(self, handler: SinkHandler | None = None, port: int | None = None):
        self.handler = handler or SinkHandler()
        self.port = port or free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def __enter__(self) -> "Sink":
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.handler.release.set()
        self.controller.stop()
