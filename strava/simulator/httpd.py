"""The socket side of the simulator: a threading HTTP/1.1 server that hands each request to it."""

from __future__ import annotations

import json
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlsplit

from strava.simulator.control import PREFIX, Controlled, control
from strava.simulator.faults import Fault, apply_fault
from strava.simulator.wire import Response, encode


class Simulated(Controlled, Protocol):
    """The simulator as the handler sees it (StravaSimulator; a Protocol to keep imports one-way)."""

    latency: float

    def handle(self, method: str, path: str, query: dict[str, str], form: dict[str, str],
               headers: dict[str, str]) -> tuple[Response, Fault | None]: ...


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, sim: Simulated, host: str, port: int) -> None:
        self.sim = sim
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__((host, port), Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet about clients that went away (timeouts, resets); loud about real bugs."""
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)

    def close_connections(self) -> None:
        """Kept-alive client connections would otherwise keep handler threads alive."""
        with self.connections_lock:
            for conn in list(self.connections):
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as Strava
    server_version = "strava-simulator"
    timeout = 60
    server: Server

    def version_string(self) -> str:
        return self.server_version

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        super().finish()

    def log_message(self, format: str, *args: Any) -> None:  # quiet: no request logging
        pass

    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_PATCH = do_DELETE = do_PUT = do_GET

    def _dispatch(self) -> None:
        sim = self.server.sim
        split = urlsplit(self.path)
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if split.path.startswith(PREFIX):
            self._send(control(sim, self.command, split.path, body))
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        response, fault = sim.handle(self.command, split.path, query, _form(body, headers), headers)
        pause = sim.latency + (fault.delay if fault else 0.0)
        if pause > 0:
            time.sleep(pause)  # outside the simulator's lock: slow answers do not hold up others
        if fault is not None and fault.kind == "reset":
            self._reset()
            return
        self._send(apply_fault(fault, response))

    def _reset(self) -> None:
        """Close with a TCP reset, without a byte of answer."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True

    def _send(self, response: Response) -> None:
        """Chunked, without Content-Length, as Strava answers (one chunk, then the last-chunk marker)."""
        raw = encode(response.body) if response.body is not None else b""
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Transfer-Encoding", "chunked")
        for name, value in (response.headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write((b"%x\r\n%s\r\n" % (len(raw), raw) if raw else b"") + b"0\r\n\r\n")


def _form(body: bytes, headers: dict[str, str]) -> dict[str, str]:
    """Token requests send their fields as a form or as JSON; anything else counts as no fields."""
    if not body:
        return {}
    text = body.decode("utf-8", "replace")
    if "json" in headers.get("content-type", ""):
        try:
            data = json.loads(text)
        except ValueError:
            return {}
        return {k: str(v) for k, v in data.items()} if isinstance(data, dict) else {}
    return dict(parse_qsl(text, keep_blank_values=True))
