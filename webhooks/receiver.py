"""A webhook receiver on a free local port, for the tests, the browser test and bench_webhooks.

    with Receiver(statuses=[500, 200]) as receiver:   # answers 500, then 200 for ever after
        ... receiver.url, receiver.received (headers and body of each request)

HTTP/1.1 with keep-alive, one thread per connection (like a small real receiver).
"""

import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # The headers and the body are two writes: with Nagle's algorithm on, the body waits
    # for the client's delayed ACK (40 ms a request on a keep-alive connection).
    disable_nagle_algorithm = True
    server: "_Server"

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        status, reply, delay = self.server.receiver.answer(
            Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
        )
        if delay and not self.server.receiver.release.is_set():
            self.server.receiver.held.set()
            self.server.receiver.release.wait(delay)
        data = reply.encode()
        self.send_response(status)
        if 300 <= status < 400:
            self.send_header("location", "http://127.0.0.1:1/elsewhere")
        self.send_header("content-type", "text/plain; charset=utf-8")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args) -> None:  # noqa: A002 - http.server's signature
        pass  # quiet: the tests read `received`


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    receiver: "Receiver"


class Receiver:
    """`statuses`: the answers in order, the last one repeated; `reply`: the body sent back;
    `delay`: seconds to hold each answer (until `release` is set), for timeouts."""

    def __init__(self, *, statuses: list[int] | None = None, reply: str = "ok", delay: float = 0, record: bool = True):
        self.statuses = list(statuses or [200])
        self.reply = reply
        self.delay = delay
        self.record = record
        self.received: list[Received] = []
        self.count = 0
        self.release = threading.Event()
        self.held = threading.Event()  # an answer is being held (delay), until `release`
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.receiver = self
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/hook"

    def answer(self, request: Received) -> tuple[int, str, float]:
        with self._lock:
            status = self.statuses[min(self.count, len(self.statuses) - 1)]
            self.count += 1
            if self.record:
                self.received.append(request)
        return status, self.reply, self.delay

    def start(self) -> "Receiver":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> "Receiver":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
