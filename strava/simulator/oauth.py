"""Strava's OAuth for one app and one athlete: the authorize page, the token endpoint, Bearer checks.

Refresh tokens rotate only when `rotate` is on; the old one dies at once. Like Strava, a refresh hands
back the same access token while it has more than an hour left and its scope is unchanged.
"""

from __future__ import annotations

import secrets
import threading
from urllib.parse import urlencode

from strava.simulator.data import summary_athlete
from strava.simulator.wire import (
    BAD_ACCESS_TOKEN,
    BAD_CLIENT,
    DEAD_REFRESH,
    INACTIVE,
    MISSING_SCOPE,
    Response,
    bad_request,
)

ACCESS_TTL = 6 * 3600
REUSE_MIN_LEFT = 3600  # Strava hands back the same access token while it has more than 1 h left


class OAuthMixin:
    """The token state and endpoints of StravaSimulator.

    A mixin rather than a member so that subclasses can override `_token_answer(reuse)`, the one place
    every issued token passes through (the reliability harness records them there).
    """

    client_id: str
    client_secret: str
    rotate: bool
    scope: str
    authorize_scope: str | None
    deny_authorize: bool
    inactive: bool
    athlete: dict
    _lock: threading.RLock

    def now(self) -> float:
        raise NotImplementedError

    def _init_tokens(self, refresh_token: str) -> None:
        self._refresh_valid, self._refresh_current, self._refresh_n = {refresh_token}, refresh_token, 0
        self._access: dict[str, tuple[float, str]] = {}  # token -> (expires_at, scope)
        self._last_access: str | None = None
        self._codes: dict[str, str] = {}  # authorization code -> approved scope

    # --- knobs ------------------------------------------------------------------------------

    def secrets(self) -> dict[str, str]:
        """The app's secrets and the current refresh token (dead after revoke_refresh_token())."""
        with self._lock:
            return {"client_id": self.client_id, "client_secret": self.client_secret,
                    "refresh_token": self._refresh_current}

    def set_rotation(self, rotate: bool) -> None:
        with self._lock:
            self.rotate = bool(rotate)

    def set_scope(self, scope: str) -> None:
        """Scope of the tokens issued from now on, and the scope the authorize page approves."""
        with self._lock:
            self.scope, self.authorize_scope = scope, scope

    def set_authorize_scope(self, scope: str | None) -> None:
        """What the athlete ticks on the authorize page (None: what the app asked for)."""
        with self._lock:
            self.authorize_scope = scope

    def revoke_refresh_token(self) -> None:
        """The current refresh token dies (as when the athlete revokes access)."""
        with self._lock:
            self._refresh_valid.clear()

    # --- endpoints --------------------------------------------------------------------------

    def _authorize(self, query: dict[str, str]) -> Response:
        """GET /oauth/authorize: approves at once and redirects to redirect_uri?state=&code=&scope=."""
        if self.inactive:
            return Response(403, INACTIVE)
        for field, ok in (("client_id", query.get("client_id") == self.client_id),
                          ("redirect_uri", bool(query.get("redirect_uri"))),
                          ("response_type", query.get("response_type") == "code")):
            if not ok:
                return bad_request("Application", field)
        params = {"state": query.get("state", "")}
        if self.deny_authorize:
            params["error"] = "access_denied"
        else:
            code = secrets.token_hex(20)
            self._codes[code] = self.authorize_scope or query.get("scope") or "read"
            params |= {"code": code, "scope": self._codes[code]}
        uri = query["redirect_uri"]
        location = uri + ("&" if "?" in uri else "?") + urlencode(params)
        return Response(302, b"", "text/html", {"Location": location})

    def _token(self, form: dict[str, str]) -> Response:
        """POST /oauth/token: the refresh_token and authorization_code grants."""
        if (form.get("client_id"), form.get("client_secret")) != (self.client_id, self.client_secret):
            return Response(400, BAD_CLIENT)
        grant = form.get("grant_type")
        if grant == "refresh_token":
            if form.get("refresh_token") not in self._refresh_valid:
                return Response(400, DEAD_REFRESH)
            if self.rotate:
                self._new_refresh_token()
            return Response(200, self._token_answer(reuse=True))
        if grant == "authorization_code":
            scope = self._codes.pop(form.get("code", ""), None)
            if scope is None:
                return bad_request("AuthorizationCode", "code")
            self.scope = scope
            self._new_refresh_token()
            return Response(200, self._token_answer(reuse=False) | {"athlete": summary_athlete(self.athlete)})
        return bad_request("Application", "grant_type")

    def _new_refresh_token(self) -> None:
        self._refresh_n += 1
        self._refresh_current = f"sim-refresh-{self._refresh_n}-{secrets.token_hex(8)}"
        self._refresh_valid = {self._refresh_current}  # the old one dies immediately

    def _token_answer(self, reuse: bool) -> dict:
        """The token response; the hook subclasses override to see every token handed out."""
        now = self.now()
        last = self._access.get(self._last_access or "")
        if reuse and last and last[0] - now > REUSE_MIN_LEFT and last[1] == self.scope:
            token, expires_at = self._last_access, last[0]
        else:
            token, expires_at = secrets.token_hex(20), int(now) + ACCESS_TTL
            self._access[token] = (expires_at, self.scope)
            self._last_access = token
        return {"token_type": "Bearer", "access_token": token, "expires_at": int(expires_at),
                "expires_in": int(expires_at) - int(now), "refresh_token": self._refresh_current}

    def _authorized(self, headers: dict[str, str], needs: tuple[str, ...] | None) -> Response | None:
        """None when the Bearer token is valid (and has one of the `needs` scopes), else the Fault."""
        return denial(self._token_scopes(headers), needs)

    def _token_scopes(self, headers: dict[str, str]) -> set[str] | None:
        """The scopes of the request's live Bearer token; None without one."""
        kind, _, token = headers.get("authorization", "").partition(" ")
        entry = self._access.get(token.strip()) if kind.lower() == "bearer" else None
        if entry is None or entry[0] <= self.now():
            return None
        return set(entry[1].split(","))


def denial(scopes: set[str] | None, needs: tuple[str, ...] | None, missing: dict = MISSING_SCOPE) -> Response | None:
    """The Fault for a request whose token has `scopes` (None: no live token), or None when allowed;
    `missing`: the Fault body when the token has none of the `needs` scopes."""
    if scopes is None:
        return Response(401, BAD_ACCESS_TOKEN)
    if needs and not scopes & set(needs):
        return Response(401, missing)
    return None
