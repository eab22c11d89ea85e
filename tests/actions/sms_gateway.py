"""A local HTTP server standing in for an SMS gateway, for tests: it records what it is sent and
answers with the status the test sets (or not at all, until the test ends)."""

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class GatewayLog:
    status: int = 200
    hang: bool = False  # never answer (until the server stops)
    received: list[dict] = field(default_factory=list)
    released: threading.Event = field(default_factory=threading.Event)


@contextmanager
def sms_gateway() -> Iterator[tuple[str, GatewayLog]]:
    log = GatewayLog()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            length = int(self.headers.get("Content-Length") or 0)
            log.received.append(
                {
                    "path": self.path,
                    "authorization": self.headers.get("Authorization"),
                    "body": json.loads(self.rfile.read(length) or b"{}"),
                }
            )
            if log.hang:
                log.released.wait()
                return
            self.send_response(log.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/sms", log
    finally:
        log.released.set()
        server.shutdown()
        server.server_close()
        thread.join()
