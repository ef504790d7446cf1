"""A real webhook receiver on 127.0.0.1 that verifies signatures with the ``standardwebhooks`` library.

Used by the webhook, worker and bench code; its own tests (tests/webhooks/test_receiver.py) check that
it accepts only what a Standard Webhooks receiver should (so a passing delivery test means a real peer
verified us).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from tests.support.site import free_port


class _Server(ThreadingHTTPServer):
    request_queue_size = 128


class Receiver:
    """A threaded HTTP receiver. ``mode``: ``ok`` (2xx), ``fail`` (500) or ``slow`` (answers late).

    ``delivered`` maps each acknowledged ``webhook-id`` to its verified JSON payload; ``attempts``
    counts every request per id; ``bad`` counts requests whose signature did not verify.
    """

    def __init__(self, secret: str, *, port: int | None = None, slow_seconds: float = 2.0) -> None:
        self.secret = secret
        self.port = port or free_port()
        self.mode = "ok"
        self.slow_seconds = slow_seconds
        self.delivered: dict[str, Any] = {}
        self.order: list[str] = []
        self.attempts: Counter[str] = Counter()
        self.bad = 0
        self.lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._webhook = Webhook(secret)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                headers = {k.lower(): v for k, v in self.headers.items()}
                msg_id = headers.get("webhook-id", "")
                try:
                    payload = receiver._webhook.verify(body, headers)
                except WebhookVerificationError:
                    with receiver.lock:
                        receiver.bad += 1
                    self._answer(400)
                    return
                with receiver.lock:
                    receiver.attempts[msg_id] += 1
                    mode = receiver.mode
                if mode == "fail":
                    self._answer(500)
                    return
                if mode == "slow":
                    time.sleep(receiver.slow_seconds)
                with receiver.lock:
                    if msg_id not in receiver.delivered:
                        receiver.order.append(msg_id)
                    receiver.delivered[msg_id] = payload
                self._answer(204)

            def _answer(self, status: int) -> None:
                try:
                    self.send_response(status)
                    self.send_header("content-length", "0")
                    self.end_headers()
                except OSError:
                    pass  # the sender gave up (timeout) or went away

            def log_message(self, format: str, *args: Any) -> None:
                pass

        # The standard library listens with a backlog of 5: a worker's 64 connections at once
        # would be refused and retried, which is the receiver's fault, not the sender's.
        server = _Server(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening (the port refuses connections until :meth:`start` again)."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def wait_for(self, count: int, timeout: float = 30.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.delivered) >= count:
                    return True
            time.sleep(0.02)
        return False
