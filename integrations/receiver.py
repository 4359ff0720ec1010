"""A reference webhook receiver: verifies signatures and stores each hand-off once.

What a back-office vendor's endpoint should do, in 100 lines of the standard library; the
tests use it as the receiving end on loopback. Deduplication is by ``webhook-id`` (the
idempotency key): a repeated delivery is answered 200 and not stored again.
Switch ``down`` on to answer 503 (a receiver in maintenance); ``delay_seconds`` slows it.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from integrations.webhook import SignatureError, verify


class DedupStore:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_id: dict[str, dict[str, Any]] = {}
        self.order: list[str] = []
        self.requests = 0
        self.duplicates = 0
        self.rejected = 0

    def add(self, msg_id: str, payload: dict[str, Any]) -> bool:
        with self.lock:
            if msg_id in self.by_id:
                self.duplicates += 1
                return False
            self.by_id[msg_id] = payload
            self.order.append(msg_id)
            return True

    def __len__(self) -> int:
        with self.lock:
            return len(self.by_id)


class _Handler(BaseHTTPRequestHandler):
    server: WebhookReceiver
    protocol_version = "HTTP/1.1"
    # One write per response and no Nagle: otherwise delayed ACKs add ~40 ms per request.
    wbufsize = 1 << 16
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _reply(self, status: int, text: str = "") -> None:
        data = text.encode("utf-8")
        self.send_response(status)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        store = self.server.store
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        with store.lock:
            store.requests += 1
        if self.server.delay_seconds:
            time.sleep(self.server.delay_seconds)
        if self.server.down:
            self._reply(503, "down for maintenance")
            return
        try:
            verify(self.server.secret, dict(self.headers.items()), body)
        except SignatureError as exc:
            with store.lock:
                store.rejected += 1
            self._reply(401, str(exc))
            return
        store.add(self.headers["webhook-id"], json.loads(body))
        self._reply(200, "ok")


class WebhookReceiver(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, secret: str, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__((host, port), _Handler)
        self.secret = secret
        self.store = DedupStore()
        self.down = False
        self.delay_seconds = 0.0
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}/hooks/madoguchi"

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if isinstance(sys.exc_info()[1], ConnectionError):
            return  # the sender went away mid-request (a killed worker): nothing to report
        super().handle_error(request, client_address)

    def start(self) -> WebhookReceiver:
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
