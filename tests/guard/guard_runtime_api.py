"""A small Lambda Runtime API server for tests: what Lambda's RAPID does for one execution environment.

Implements the four endpoints awslambdaric uses: GET /2018-06-01/runtime/invocation/next (blocks until the
test queues an event), POST .../invocation/{id}/response, POST .../invocation/{id}/error and POST
/2018-06-01/runtime/init/error. Results are collected per request id for the test to wait on.
"""

from __future__ import annotations

import json
import queue
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PREFIX = "/2018-06-01/runtime"


class RuntimeAPI:
    def __init__(self, timeout_ms: int = 30_000) -> None:
        self.events: queue.Queue[tuple[str, bytes, int]] = queue.Queue()
        self.results: dict[str, tuple[str, Any]] = {}
        self.init_errors: list[Any] = []
        self.cond = threading.Condition()
        self.timeout_ms = timeout_ms
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _reply(self, code: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
                self.send_response(code)
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                if self.path != f"{PREFIX}/invocation/next":
                    self._reply(404)
                    return
                while True:
                    try:
                        request_id, body, deadline = api.events.get(timeout=0.5)
                        break
                    except queue.Empty:
                        if getattr(self.server, "closing", False):
                            self._reply(500, b'{"errorMessage":"shutting down"}')
                            return
                self._reply(200, body, {
                    "Content-Type": "application/json",
                    "Lambda-Runtime-Aws-Request-Id": request_id,
                    "Lambda-Runtime-Deadline-Ms": str(deadline),
                    "Lambda-Runtime-Invoked-Function-Arn":
                        "arn:aws:lambda:us-east-1:123456789012:function:guarded-fn",
                    "Lambda-Runtime-Trace-Id": "Root=1-00000000-000000000000000000000000;Sampled=0",
                })

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                try:
                    payload = json.loads(body) if body else None
                except ValueError:
                    payload = body.decode("utf-8", "replace")
                parts = self.path.split("/")
                if self.path == f"{PREFIX}/init/error":
                    with api.cond:
                        api.init_errors.append(payload)
                        api.cond.notify_all()
                    self._reply(202, b"{}")
                elif self.path.startswith(f"{PREFIX}/invocation/") and parts[-1] in ("response", "error"):
                    with api.cond:
                        api.results[parts[-2]] = (parts[-1], payload)
                        api.cond.notify_all()
                    self._reply(202, b"{}")
                else:
                    self._reply(404)

        class Server(ThreadingHTTPServer):
            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # the runtime process is killed mid-request at the end of each test

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.server.server_address[1]}"

    def invoke(self, event: Any, *, timeout_ms: int | None = None, wait: float = 20.0) -> tuple[str, Any]:
        """Queue one event and wait for its response or error: ('response'|'error', payload)."""
        request_id = str(uuid.uuid4())
        deadline = int(time.time() * 1000) + (timeout_ms or self.timeout_ms)
        self.events.put((request_id, json.dumps(event).encode(), deadline))
        end = time.monotonic() + wait
        with self.cond:
            while request_id not in self.results and not self.init_errors:
                left = end - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no result for {event!r}")
                self.cond.wait(left)
            if request_id in self.results:
                return self.results[request_id]
            return "init-error", self.init_errors[-1]

    def wait_init_error(self, wait: float = 20.0) -> Any:
        end = time.monotonic() + wait
        with self.cond:
            while not self.init_errors:
                left = end - time.monotonic()
                if left <= 0:
                    raise TimeoutError("no init error posted")
                self.cond.wait(left)
            return self.init_errors[-1]

    def close(self) -> None:
        self.server.closing = True  # type: ignore[attr-defined]
        self.server.shutdown()
        self.server.server_close()
