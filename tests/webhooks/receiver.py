"""A real HTTP server on loopback that receives webhooks and answers what a test asks it to."""

import json
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float
    """``time.time()`` when it arrived (the real clock, for lag measurements)."""

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Answer:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"ok"


class Receiver:
    """Answers queued ``Answer``s in order, then ``default``; keeps every request it got."""

    def __init__(self, *, delay_seconds: float = 0.0) -> None:
        self.received: list[Received] = []
        self.answers: deque[Answer] = deque()
        self.default = Answer()
        self.delay_seconds = delay_seconds
        self.in_flight = 0
        self.most_in_flight = 0
        """The most requests it was answering at once."""
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def answer(self, *answers: Answer) -> None:
        with self._lock:
            self.answers.extend(answers)

    def ids(self) -> Counter[str]:
        """How many times each ``webhook-id`` arrived."""
        return Counter(request.headers["webhook-id"] for request in self.received)

    def start(self) -> "Receiver":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _next_answer(self, request: Received) -> Answer:
        with self._lock:
            self.received.append(request)
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            return self.answers.popleft() if self.answers else self.default

    def _answered(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                request = Received(
                    path=self.path,
                    headers={name.lower(): value for name, value in self.headers.items()},
                    body=body,
                    at=time.time(),
                )
                answer = receiver._next_answer(request)
                try:
                    if receiver.delay_seconds:
                        time.sleep(receiver.delay_seconds)
                    self.send_response(answer.status)
                    for name, value in answer.headers.items():
                        self.send_header(name, value)
                    self.send_header("content-length", str(len(answer.body)))
                    self.end_headers()
                    self.wfile.write(answer.body)
                finally:
                    receiver._answered()  # a sender that hung up is not in flight either

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler
