"""`python -m strava auth`: authorize this app once in a browser and store the athlete's refresh token.

Flow: resolve the app's client id/secret -> start a one-shot redirect server on 127.0.0.1 -> print (and
open) Strava's authorize URL with a random `state` -> the browser comes back to /callback with a code ->
check state and granted scope -> exchange the code -> save client id, secret and refresh token in the
configured store. Nothing is saved unless every step succeeded; no secret is ever printed.
"""

from __future__ import annotations

import getpass
import hmac
import html
import os
import secrets
import socketserver
import sys
import threading
import webbrowser
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TextIO
from urllib.parse import parse_qs, urlsplit

from strava.client import SCOPE, StravaClient, TokenGrant
from strava.errors import ConfigError, SyncError
from strava.secrets import Credentials, SecretStore, open_secret_store
from strava.settings import Settings

REQUIRED_SCOPE = "activity:read_all"  # without it private ("Only You") activities are missing
ZONES_SCOPE = "profile:read_all"  # optional: Strava's heart-rate zones (GET /athlete/zones)
CALLBACK_PATH = "/callback"
PRIVATE_BOX = "View data about your private activities"
SETTINGS_PAGE = "https://www.strava.com/settings/api"


@dataclass(frozen=True)
class Callback:
    """What Strava's redirect carried (state already checked)."""

    code: str | None
    scope: str | None
    error: str | None

    @property
    def scope_ok(self) -> bool:
        return grants_private_activities(self.scope)


def grants_private_activities(scope: str | None) -> bool:
    return grants(scope, REQUIRED_SCOPE)


def grants(scope: str | None, wanted: str) -> bool:
    """Strava's granted scope is comma-separated, e.g. 'read,activity:read_all'."""
    return wanted in {part.strip() for part in (scope or "").split(",")}


def run_auth(
    settings: Settings,
    *,
    client_id: str | None = None,
    client_secret: str | None = None,
    port: int = 0,
    open_browser: bool = True,
    timeout: float = 300,
    out: TextIO | None = None,
) -> int:
    """Run the whole onboarding; return the exit code (0 saved, 1 nothing saved). `out` defaults to stdout."""
    out = out or sys.stdout
    try:
        store = open_secret_store(settings.secrets)
        client_id, client_secret = resolve_app_credentials(client_id, client_secret, store, out)
        callback = _authorize(settings, client_id, port, open_browser, timeout, out)
        if callback is None or not _accepted(callback, out):
            return 1
        grant = StravaClient(settings).exchange_code(client_id, client_secret, callback.code or "")
        if grant.scope is not None and not grants_private_activities(grant.scope):
            return _refuse_scope(out)  # the redirect said yes but the token says no: trust the token
        _say(out, f"Authorized as {_athlete_name(grant)}.")
        if not grants(grant.scope or callback.scope, ZONES_SCOPE):
            _say(out, f"Heart-rate zones were not shared (scope {ZONES_SCOPE}): time in heart-rate zones uses "
                      "STRAVA_HR_ZONES when set. Run `python -m strava auth` again to share them.")
        store.save(Credentials(client_id, client_secret, grant.refresh_token))
    except SyncError as exc:
        _say(out, f"Nothing was saved: {exc}")
        return 1
    _say(out, f"Saved the client id, client secret and refresh token to {store.description}.\n"
              "Next: python -m strava sync")
    return 0


# --- the app's credentials -----------------------------------------------------------------------

def resolve_app_credentials(
    client_id: str | None, client_secret: str | None, store: SecretStore, out: TextIO
) -> tuple[str, str]:
    """Arguments, then STRAVA_CLIENT_ID/SECRET, a prompt (Enter keeps the stored value), the store."""
    client_id = _clean(client_id) or _clean(os.environ.get("STRAVA_CLIENT_ID"))
    client_secret = _clean(client_secret) or _clean(os.environ.get("STRAVA_CLIENT_SECRET"))
    if client_id and client_secret:
        return client_id, client_secret
    stored = _stored(store)
    if client_id is None:
        default = stored.client_id if stored else None
        client_id = _ask(f"Strava client ID{f' [{default}]' if default else ''}: ", out) or default
    # A stored secret belongs to the stored client id: never pair it with another app's id.
    kept = stored.client_secret if stored and stored.client_id == client_id else None
    if client_secret is None:
        hint = " [Enter keeps the stored one]" if kept else ""
        client_secret = _ask(f"Strava client secret{hint}: ", out, secret=True) or kept
    if not client_id or not client_secret:
        raise ConfigError(f"the Strava app's client ID and secret are needed (see {SETTINGS_PAGE}): pass "
                          "--client-id/--client-secret or set STRAVA_CLIENT_ID/STRAVA_CLIENT_SECRET")
    return client_id, client_secret


def _stored(store: SecretStore) -> Credentials | None:
    try:
        return store.read()
    except SyncError:
        return None  # first run: nothing stored yet


def _clean(value: str | None) -> str | None:
    return (value or "").strip() or None


def _interactive() -> bool:
    return sys.stdin is not None and sys.stdin.isatty()


def _ask(prompt: str, out: TextIO, *, secret: bool = False) -> str | None:
    """Prompt on the terminal only (None otherwise); a secret is read without echo."""
    if not _interactive():
        return None
    out.flush()
    answer = getpass.getpass(prompt) if secret else input(prompt)
    return answer.strip() or None


# --- the browser round trip ----------------------------------------------------------------------

def _authorize(
    settings: Settings, client_id: str, port: int, open_browser: bool, timeout: float, out: TextIO
) -> Callback | None:
    """Serve one redirect; None (after saying why) on timeout or when the port cannot be used."""
    state = secrets.token_urlsafe(24)
    try:
        server = _CallbackServer(port, state, out)
    except OSError as exc:
        _say(out, f"Cannot listen on 127.0.0.1:{port} ({exc.strerror}): choose another --port. "
                  "Nothing was saved.")
        return None
    with server:
        redirect_uri = f"http://127.0.0.1:{server.server_port}{CALLBACK_PATH}"
        url = StravaClient(settings).authorize_url(client_id, redirect_uri, scope=SCOPE, state=state)
        _say(out, f"Open this URL in a browser and authorize the app (keep '{PRIVATE_BOX}' ticked):\n\n"
                  f"  {url}\n")
        if not (open_browser and _open_browser(url)):
            _say(out, f"(Browser on another machine? Forward the port first: "
                      f"ssh -L {server.server_port}:127.0.0.1:{server.server_port} THIS_HOST)")
        _say(out, f"Waiting up to {timeout:g} s for Strava to redirect to {redirect_uri} ...")
        callback = server.wait(timeout)
    if callback is None:
        _say(out, f"No answer from the browser within {timeout:g} s. Nothing was saved; "
                  "run the command again.")
    return callback


def _open_browser(url: str) -> bool:
    """Open `url` when this machine has a browser to show; False when the person must open it."""
    desktop = sys.platform in ("darwin", "win32")
    if not desktop and not any(os.environ.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "BROWSER")):
        return False  # headless (SSH, container): webbrowser would start a text browser in this terminal
    try:
        return webbrowser.open(url)
    except webbrowser.Error:
        return False


def _accepted(callback: Callback, out: TextIO) -> bool:
    if callback.error is not None:
        denied = callback.error == "access_denied"
        reason = "access was denied" if denied else f"Strava answered {callback.error[:100]!r}"
        _say(out, f"Authorization failed: {reason}. Nothing was saved; "
                  "run the command again and click Authorize.")
        return False
    if not callback.scope_ok:
        _refuse_scope(out)
        return False
    if not callback.code:
        _say(out, "Strava's redirect carried no authorization code. Nothing was saved; "
                  "run the command again.")
        return False
    return True


def _refuse_scope(out: TextIO) -> int:
    _say(out, f"The '{PRIVATE_BOX}' permission (scope {REQUIRED_SCOPE}) was not granted, so private "
              f"activities could not be synced. Nothing was saved: re-run and keep '{PRIVATE_BOX}' ticked.")
    return 1


def _athlete_name(grant: TokenGrant) -> str:
    athlete = grant.athlete or {}
    name = " ".join(str(athlete.get(k) or "").strip() for k in ("firstname", "lastname")).strip()
    return name or (f"athlete {athlete['id']}" if athlete.get("id") else "the athlete")


def _say(out: TextIO, text: str) -> None:
    print(text, file=out, flush=True)


class _CallbackServer(ThreadingHTTPServer):
    """Answers Strava's redirect on 127.0.0.1; the first one with the right `state` ends the wait.

    Threaded because browsers open speculative connections that never send a request: one of those must
    not stall the real redirect."""

    def __init__(self, port: int, state: str, out: TextIO) -> None:
        super().__init__(("127.0.0.1", port), _CallbackHandler)
        self.state, self.out = state, out
        self.callback: Callback | None = None
        self.done = threading.Event()
        self.lock = threading.Lock()

    def server_bind(self) -> None:
        # HTTPServer.server_bind would resolve a host name (a DNS lookup) that nothing here needs.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.socket.getsockname()[:2]  # = server_address (stub: or bytes)

    def wait(self, timeout: float) -> Callback | None:
        thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        thread.start()
        try:
            self.done.wait(timeout)
        finally:
            self.shutdown()
            thread.join()
        return self.callback

    def receive(self, query: dict[str, list[str]]) -> tuple[int, str]:
        """Record a redirect; return the status and message for the browser."""
        state = (query.get("state") or [""])[0]
        if not hmac.compare_digest(state.encode(), self.state.encode()):
            # Not from the URL this run printed (a stale tab, or a forged request): ignore it, keep waiting.
            _say(self.out, "Ignored a redirect whose state does not match this run "
                           "(an old tab or a forged request).")
            return 400, "This link does not belong to the running authorization. Use the URL it printed."
        first = {k: v[0] for k, v in query.items() if v}
        with self.lock:
            if self.done.is_set():
                return 409, "This authorization was already received. You can close this tab."
            self.callback = Callback(first.get("code"), first.get("scope"), first.get("error"))
            self.done.set()
        if self.callback.error is not None:
            return 200, "Authorization was declined. Nothing was saved. You can close this tab."
        if not self.callback.scope_ok:
            return 200, (f"'{PRIVATE_BOX}' was unticked. Re-run python -m strava auth and keep it ticked. "
                         "You can close this tab.")
        return 200, "Authorization received. You can close this tab; the terminal shows the result."


class _CallbackHandler(BaseHTTPRequestHandler):
    server: _CallbackServer
    timeout = 10  # seconds a connection may stay silent

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        target = urlsplit(self.path)
        if target.path != CALLBACK_PATH:
            self._answer(404, "Not found.")
            return
        self._answer(*self.server.receive(parse_qs(target.query)))

    def _answer(self, status: int, message: str) -> None:
        body = (f"<!doctype html><meta charset=utf-8><title>Strava sync</title>"
                f"<p style='font:1.2em sans-serif;margin:3em'>{html.escape(message)}</p>").encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Referrer-Policy", "no-referrer")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass  # the default logs the request line, which carries the authorization code
