"""Constants and a loopback server shared by the Strava client tests."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

API = "https://strava.test/api/v3"
OAUTH = "https://strava.test/oauth"
ACTIVITIES = f"{API}/athlete/activities"
TOKEN_URL = f"{OAUTH}/token"
# Distinctive values so a leak into a message or URL is easy to spot.
ACCESS_TOKEN = "AT-ed1f4e5a9c0b7d33"
REFRESH_TOKEN = "RT-8c1d2e3f4a5b6c7d"
CLIENT_SECRET = "CS-0f9e8d7c6b5a4321"


def rate_headers(read_usage: str, read_limit: str = "100,1000", usage: str | None = None,
                 limit: str = "200,2000") -> dict[str, str]:
    return {"X-ReadRateLimit-Usage": read_usage, "X-ReadRateLimit-Limit": read_limit,
            "X-RateLimit-Usage": usage or read_usage, "X-RateLimit-Limit": limit}


class LoopbackStrava:
    """A real HTTP server on 127.0.0.1 answering scripted (delay, status, body) replies in order."""

    def __init__(self) -> None:
        self.script: list[tuple[float, int, object]] = []
        self.hits = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                delay, status, body = server.script[min(server.hits, len(server.script) - 1)]
                server.hits += 1
                time.sleep(delay)
                payload = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass  # the client gave up (read timeout): expected

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> LoopbackStrava:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
