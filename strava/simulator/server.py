"""A local HTTP server that behaves like Strava's API v3 for one athlete (demo, tests, benchmark).

Strava endpoints (base `url`):
  POST /oauth/token, POST /api/v3/oauth/token   refresh_token and authorization_code grants (form,
                                                JSON or query fields); rotation and reuse of a still
                                                fresh access token as Strava does
  GET  /oauth/authorize                         auto-approves: 302 to redirect_uri?state=&code=&scope=
  GET  /api/v3/athlete                          DetailedAthlete-like profile (ftp, weight, gear)
  GET  /api/v3/athlete/activities               page, per_page (default 30, capped at 200), before,
                                                after (strict, epoch s on start_date); newest first,
                                                oldest first when `after` is given; [] past the end

Errors are Strava Faults `{"message", "errors": [{"resource", "field", "code"}]}`: 401 for a bad
client or access token, 400 for a dead refresh token or code, 401 `activity:read_permission` for a
token without an activity scope, 403 `Application/Status/Inactive` in inactive mode, 429 over a
rate limit. Every Strava response carries X-RateLimit-Limit/-Usage and X-ReadRateLimit-Limit/-Usage
("15min,daily"). Windows come from `clock`: 15-minute ones reset at :00/:15/:30/:45 UTC, daily ones
at 00:00 UTC. Every request counts toward the overall limits, GETs also toward the read limits (the
authorize page counts toward neither). A refused request counts toward the daily usage only.

Control endpoints (never rate limited, not in `request_log`), all JSON:
  GET    /_sim/state               counts, current secrets, scope, rotation, rate usage, call count
  GET    /_sim/requests            request log: [[method, path, {query}], ...]
  GET    /_sim/activities          the truth, oldest first (private ones included)
  POST   /_sim/activities          add one: {field: value, ...} overrides a generated activity;
                                   an old start_date models a late upload (the id is still new)
  GET    /_sim/activities/<id>     one activity
  PATCH  /_sim/activities/<id>     edit: {field: value, ..., "drop_keys": [names to remove]}
  DELETE /_sim/activities/<id>     delete
  POST   /_sim/faults              {path_prefix, kind, status, body, content_type, delay, times, page}
                                   as `inject()`; kinds: status, html, truncated, not_list, reset,
                                   slow, missing_id, type_change
  DELETE /_sim/faults              drop pending faults
  POST   /_sim/config              any of: rotate, scope, authorize_scope, deny_authorize, inactive,
                                   read_limits [15min, daily], overall_limits, latency,
                                   usage [read15, read_daily(, overall15, overall_daily)],
                                   revoke_refresh_token (true), advance_clock (seconds)
"""

from __future__ import annotations

import bisect
import json
import secrets
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from strava.simulator.data import (
    DAY,
    ActivityFactory,
    _id_at,
    default_end,
    generate_activities,
    iso_z,
    parse_iso,
    summary_athlete,
)

API = "/api/v3"
ACCESS_TTL = 6 * 3600
REUSE_MIN_LEFT = 3600  # Strava hands back the same access token while it has more than 1 h left
MAX_PER_PAGE = 200
FAULT_KINDS = ("status", "html", "truncated", "not_list", "reset", "slow", "missing_id", "type_change")
REPLACING = ("status", "html", "not_list", "reset")  # these answer instead of the API


def fault_body(message: str, resource: str, field: str, code: str) -> dict:
    return {"message": message, "errors": [{"resource": resource, "field": field, "code": code}]}


BAD_ACCESS_TOKEN = fault_body("Authorization Error", "Athlete", "access_token", "invalid")
MISSING_SCOPE = fault_body("Authorization Error", "AccessToken", "activity:read_permission", "missing")
INACTIVE = fault_body("Forbidden", "Application", "Status", "Inactive")
RATE_LIMITED = fault_body("Rate Limit Exceeded", "Application", "rate limit", "exceeded")
DEAD_REFRESH = fault_body("Bad Request", "RefreshToken", "refresh_token", "invalid")
NOT_FOUND = fault_body("Record Not Found", "resource", "path", "invalid")
HTML_PAGE = (b"<!DOCTYPE html><html><head><title>We're sorry, but something went wrong (500)</title>"
             b"</head><body><h1>Strava is temporarily unavailable</h1></body></html>")


@dataclass
class Response:
    status: int
    body: Any = None  # JSON value, or bytes sent as they are
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] | None = None


@dataclass
class Fault:
    path_prefix: str
    kind: str
    status: int | None = None
    body: Any = None
    content_type: str | None = None
    delay: float = 0.0
    times: int | None = 1  # None: until reset_faults()
    page: int | None = None

    def matches(self, path: str, query: dict[str, str]) -> bool:
        if not (path.startswith(self.path_prefix) or path.startswith(API + self.path_prefix)):
            return False
        return self.page is None or _int_or(query.get("page"), 1) == self.page


class RateLimits:
    """Strava's two windows (15 minutes, UTC day) for the overall and the read limits."""

    def __init__(self, read_limits: tuple[int, int], overall_limits: tuple[int, int]) -> None:
        self.read_limits, self.overall_limits = tuple(read_limits), tuple(overall_limits)
        self.read, self.overall = [0, 0], [0, 0]  # usage: [15min, daily]
        self._windows = (-1, -1)

    def roll(self, now: float) -> None:
        quarter, day = int(now // 900), int(now // DAY)
        if quarter != self._windows[0]:
            self.read[0] = self.overall[0] = 0
        if day != self._windows[1]:
            self.read[1] = self.overall[1] = 0
        self._windows = (quarter, day)

    def charge(self, now: float, is_read: bool) -> bool:
        """Count one request; False when it is refused. Refused ones still count for the day."""
        self.roll(now)
        over = any(u >= lim for u, lim in zip(self.overall, self.overall_limits, strict=True))
        if is_read:
            over = over or any(u >= lim for u, lim in zip(self.read, self.read_limits, strict=True))
        self.overall[1] += 1
        self.read[1] += is_read
        if not over:
            self.overall[0] += 1
            self.read[0] += is_read
        return not over

    def set_usage(self, now: float, read: tuple[int, int], overall: tuple[int, int]) -> None:
        self.roll(now)
        self.read, self.overall = list(read), list(overall)

    def headers(self) -> dict[str, str]:
        def pair(values: Iterable[int]) -> str:
            return ",".join(str(v) for v in values)

        return {"X-RateLimit-Limit": pair(self.overall_limits), "X-RateLimit-Usage": pair(self.overall),
                "X-ReadRateLimit-Limit": pair(self.read_limits), "X-ReadRateLimit-Usage": pair(self.read)}

    def state(self) -> dict:
        return {"read_limits": list(self.read_limits), "overall_limits": list(self.overall_limits),
                "read_usage": list(self.read), "overall_usage": list(self.overall)}


def _int_or(text: str | None, default: int) -> int:
    try:
        return int(text) if text not in (None, "") else default
    except ValueError:
        return default


def copy_json(value: Any) -> Any:
    """Deep copy of a JSON value (several times faster than copy.deepcopy)."""
    if isinstance(value, dict):
        return {k: copy_json(v) if isinstance(v, (dict, list)) else v for k, v in value.items()}
    if isinstance(value, list):
        return [copy_json(v) if isinstance(v, (dict, list)) else v for v in value]
    return value


def _epoch(value: Any) -> int:
    """A start date given as ISO text, datetime or epoch seconds."""
    if isinstance(value, datetime):
        return int(value.timestamp()) if value.tzinfo else parse_iso(value.isoformat())
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value)
    return parse_iso(str(value))


class StravaSimulator:
    """Strava for one athlete. See the module docstring for the HTTP surface.

    `activities`: how many to generate (seed, end: see `generate_activities`; `end` defaults to
    00:00 UTC of `clock`'s day) or the list itself (each item needs `id` and `start_date`).
    `clock` drives token expiry and rate-limit windows; `latency` (s) is added to every API answer.
    """

    def __init__(self, activities: int | list[dict] = 300, seed: int = 1, *, client_id: str = "12345",
                 client_secret: str = "sim-secret", refresh_token: str = "sim-refresh-0",
                 rotate: bool = False, scope: str = "read,activity:read_all",
                 authorize_scope: str | None = None, read_limits: tuple[int, int] = (100, 1000),
                 overall_limits: tuple[int, int] = (200, 2000), latency: float = 0.0,
                 clock: Callable[[], float] = time.time, end: datetime | None = None) -> None:
        self._lock = threading.RLock()
        self._clock, self._clock_shift = clock, 0.0
        self.client_id, self.client_secret = str(client_id), client_secret
        self.rotate, self.scope, self.authorize_scope = rotate, scope, authorize_scope
        self.deny_authorize, self.inactive, self.latency = False, False, latency
        self.rate = RateLimits(read_limits, overall_limits)
        self._factory = ActivityFactory(seed)
        self._factory.rng.seed(f"additions-{seed}")
        self.athlete = self._factory.athlete
        self._load(activities, seed, end)
        self._refresh_valid, self._refresh_current, self._refresh_n = {refresh_token}, refresh_token, 0
        self._access: dict[str, tuple[float, str]] = {}  # token -> (expires_at, scope)
        self._last_access: str | None = None
        self._codes: dict[str, str] = {}  # authorization code -> approved scope
        self._faults: list[Fault] = []
        self.request_log: list[tuple[str, str, dict[str, str]]] = []
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._foreground = False

    def _load(self, activities: int | list[dict], seed: int, end: datetime | None) -> None:
        """Index the truth: (start epoch, id, activity) sorted, and by id."""
        if isinstance(activities, int):
            activities = generate_activities(activities, seed, end or default_end(self.now()))
        elif activities:
            activities = copy_json(activities)
            owner = activities[0].get("athlete", {}).get("id", self.athlete["id"])
            self.athlete = self.athlete | {"id": owner}
        self._store: list[tuple[int, int, dict]] = sorted(
            ((_epoch(a["start_date"]), a["id"], a) for a in activities), key=lambda t: (t[0], t[1]))
        self._by_id = {t[1]: t for t in self._store}
        self._views: dict[bool, tuple[list[int], list[dict]]] = {}  # show_private -> (starts, items)

    # --- lifecycle ------------------------------------------------------------------------

    def bind(self, host: str = "127.0.0.1", port: int = 0) -> StravaSimulator:
        """Open the listening socket (so `url` is known) without serving yet."""
        if self._server is None:
            self._server = _Server((host, port), _Handler)
            self._server.sim = self
        return self

    def start(self, host: str = "127.0.0.1", port: int = 0) -> StravaSimulator:
        """Serve from a background thread."""
        self.bind(host, port)
        if self._thread is None:
            self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                            name="strava-simulator", daemon=True)
            self._thread.start()
        return self

    def serve_forever(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Serve in the foreground until interrupted or stop() (the CLI `simulate` command)."""
        if self._thread is not None:
            raise RuntimeError("already serving from a background thread")
        server = self.bind(host, port)._server
        self._foreground = True
        try:
            server.serve_forever(poll_interval=0.25)
        except KeyboardInterrupt:
            pass
        finally:
            self._foreground = False
            self.stop()

    def stop(self) -> None:
        """Stop serving and drop open connections; safe to call twice."""
        server, self._server = self._server, None
        if server is None:
            return
        if self._thread is not None or self._foreground:
            server.shutdown()  # returns once serve_forever has left its loop
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        server.close_connections()
        server.server_close()

    def __enter__(self) -> StravaSimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("simulator not started")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        return self.url + API

    @property
    def oauth_url(self) -> str:
        return self.url + "/oauth"

    def now(self) -> float:
        return self._clock() + self._clock_shift

    # --- state for tests --------------------------------------------------------------------

    def secrets(self) -> dict[str, str]:
        """The app's secrets and the current refresh token (dead after revoke_refresh_token())."""
        with self._lock:
            return {"client_id": self.client_id, "client_secret": self.client_secret,
                    "refresh_token": self._refresh_current}

    @property
    def calls(self) -> int:
        """Requests to Strava's endpoints so far (control endpoints excluded)."""
        return len(self.request_log)

    @property
    def activities(self) -> list[dict]:
        """The current truth, oldest first (copies)."""
        with self._lock:
            items = [t[2] for t in self._store]
        return copy_json(items)

    def get_activity(self, activity_id: int) -> dict:
        with self._lock:
            return copy_json(self._by_id[int(activity_id)][2])

    def state(self) -> dict:
        with self._lock:
            self.rate.roll(self.now())
            return {
                "activities": len(self._store), "calls": self.calls, "now": self.now(),
                "client_id": self.client_id, "client_secret": self.client_secret,
                "refresh_token": self._refresh_current,
                "refresh_token_valid": self._refresh_current in self._refresh_valid,
                "rotate": self.rotate, "scope": self.scope, "authorize_scope": self.authorize_scope,
                "deny_authorize": self.deny_authorize, "inactive": self.inactive, "latency": self.latency,
                "rate": self.rate.state(), "faults_pending": len(self._faults),
                "athlete_id": self.athlete["id"],
            }

    # --- edits ------------------------------------------------------------------------------

    def add_activity(self, **fields: Any) -> dict:
        """A new upload (new, highest id); an old `start_date` models a late upload."""
        with self._lock:
            now = int(self.now())
            top = max(self._by_id, default=0)
            new_id = max(top, _id_at(now)) + self._factory.rng.below(1000, 100_000)
            start = _epoch(fields["start_date"]) if "start_date" in fields else now - 2 * 3600
            activity = self._factory.make(start, new_id, fields.get("sport_type"))
            activity["athlete"] = {"id": self.athlete["id"], "resource_state": 1}
            activity = self._apply(activity, fields, ())
            self._insert(activity)
            return copy_json(activity)

    def edit_activity(self, activity_id: int, *, drop_keys: Iterable[str] = (), **fields: Any) -> dict:
        """Change fields (a new dict replaces the old one: pages being sent stay consistent)."""
        with self._lock:
            old = self._by_id[int(activity_id)][2]
            activity = self._apply(dict(old), fields, drop_keys)
            if activity["id"] != old["id"] and activity["id"] in self._by_id:
                raise ValueError(f"activity {activity['id']} exists")
            self._remove(int(activity_id))
            self._insert(activity)
            return copy_json(activity)

    def delete_activity(self, activity_id: int) -> None:
        with self._lock:
            if int(activity_id) not in self._by_id:
                raise KeyError(activity_id)
            self._remove(int(activity_id))

    def _apply(self, activity: dict, fields: dict, drop_keys: Iterable[str]) -> dict:
        fields = dict(fields)
        if "start_date" in fields:
            start = _epoch(fields.pop("start_date"))
            activity["start_date"] = iso_z(start)
            if "start_date_local" not in fields:
                activity["start_date_local"] = iso_z(start + int(activity.get("utc_offset") or 0))
        if isinstance(fields.get("start_date_local"), datetime):
            fields["start_date_local"] = fields["start_date_local"].strftime("%Y-%m-%dT%H:%M:%SZ")
        activity.update(fields)
        for key in drop_keys:
            activity.pop(key, None)
        if not isinstance(activity.get("id"), int):
            raise ValueError("an activity needs an integer id")
        return activity

    def _insert(self, activity: dict) -> None:
        if activity["id"] in self._by_id:
            raise ValueError(f"activity {activity['id']} exists")
        entry = (_epoch(activity["start_date"]), activity["id"], activity)
        bisect.insort(self._store, entry, key=lambda t: (t[0], t[1]))
        self._by_id[activity["id"]] = entry
        self._views.clear()

    def _remove(self, activity_id: int) -> None:
        entry = self._by_id.pop(activity_id)
        i = bisect.bisect_left(self._store, (entry[0], entry[1]), key=lambda t: (t[0], t[1]))
        del self._store[i]
        self._views.clear()

    # --- knobs ------------------------------------------------------------------------------

    def inject(self, path_prefix: str = "/api/v3/athlete/activities", *, status: int | None = None,
               body: Any = None, content_type: str | None = None, kind: str | None = None,
               delay: float = 0.0, times: int | None = 1, page: int | None = None) -> None:
        """Queue a fault for the next matching request(s); see FAULT_KINDS and the module docstring."""
        kind = kind or ("status" if status is not None else "slow" if delay else None)
        if kind not in FAULT_KINDS:
            raise ValueError(f"fault kind must be one of {', '.join(FAULT_KINDS)}, got {kind!r}")
        if kind == "status" and status is None:
            raise ValueError("a 'status' fault needs a status")
        if times is not None and times < 1:
            raise ValueError("times must be at least 1 (or None: until reset_faults())")
        with self._lock:
            self._faults.append(Fault(path_prefix, kind, status, body, content_type, float(delay), times,
                                      page))

    def reset_faults(self) -> None:
        with self._lock:
            self._faults.clear()

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

    def set_inactive(self, inactive: bool) -> None:
        with self._lock:
            self.inactive = bool(inactive)

    def revoke_refresh_token(self) -> None:
        """The current refresh token dies (as when the athlete revokes access)."""
        with self._lock:
            self._refresh_valid.clear()

    def set_usage(self, read15: int, read_daily: int, overall15: int | None = None,
                  overall_daily: int | None = None) -> None:
        """Set the current windows' usage; overall defaults to the read values."""
        with self._lock:
            overall = (read15 if overall15 is None else overall15,
                       read_daily if overall_daily is None else overall_daily)
            self.rate.set_usage(self.now(), (read15, read_daily), overall)

    def advance_clock(self, seconds: float) -> None:
        """Shift the simulator's clock (token expiry, rate windows) for suites without a fake clock."""
        with self._lock:
            self._clock_shift += seconds

    def configure(self, **config: Any) -> None:
        """Several knobs at once; the keys of POST /_sim/config."""
        setters: dict[str, Callable[[Any], None]] = {
            "rotate": self.set_rotation, "scope": self.set_scope, "inactive": self.set_inactive,
            "authorize_scope": self.set_authorize_scope,
            "deny_authorize": lambda v: setattr(self, "deny_authorize", bool(v)),
            "read_limits": lambda v: setattr(self.rate, "read_limits", tuple(int(x) for x in v)),
            "overall_limits": lambda v: setattr(self.rate, "overall_limits", tuple(int(x) for x in v)),
            "latency": lambda v: setattr(self, "latency", float(v)),
            "usage": lambda v: self.set_usage(*(int(x) for x in v)),
            "revoke_refresh_token": lambda v: self.revoke_refresh_token() if v else None,
            "advance_clock": lambda v: self.advance_clock(float(v)),
        }
        unknown = set(config) - set(setters)
        if unknown:
            raise ValueError(f"unknown config keys: {', '.join(sorted(unknown))}")
        with self._lock:
            for key, value in config.items():
                setters[key](value)

    # --- request handling -------------------------------------------------------------------

    def handle(self, method: str, path: str, query: dict[str, str], form: dict[str, str],
               headers: dict[str, str]) -> tuple[Response, Fault | None]:
        """Answer one Strava request (faults not yet applied); returns the fault to apply, if any."""
        with self._lock:
            self.request_log.append((method, path, dict(query)))
            fault = next((f for f in self._faults if f.matches(path, query)), None)
            if fault is not None:
                self._consume(fault)
            if path.rstrip("/") == "/oauth/authorize":
                return self._authorize(query), fault  # a web page: no rate limits
            allowed = self.rate.charge(self.now(), is_read=method == "GET")
            response = self._route(method, path, query, form, headers, allowed, fault)
            response.headers = self.rate.headers()
            return response, fault

    def _consume(self, fault: Fault) -> None:
        if fault.times is not None:
            fault.times -= 1
            if fault.times <= 0:
                self._faults.remove(fault)

    def _route(self, method: str, path: str, query: dict, form: dict, headers: dict, allowed: bool,
               fault: Fault | None) -> Response:
        if self.inactive:
            return Response(403, INACTIVE)
        if not allowed:
            return Response(429, RATE_LIMITED)
        if fault is not None and fault.kind in REPLACING:
            return Response(200, None)  # replaced by the fault; the request still counted
        route = (method, path.rstrip("/"))
        if route in (("POST", "/oauth/token"), ("POST", API + "/oauth/token")):
            return self._token({**query, **form})
        if route == ("GET", API + "/athlete"):
            return self._authorized(headers, None) or Response(200, self.athlete)
        if route == ("GET", API + "/athlete/activities"):
            return self._list_activities(query, headers)
        return Response(404, NOT_FOUND)

    # --- OAuth ------------------------------------------------------------------------------

    def _authorize(self, query: dict[str, str]) -> Response:
        if self.inactive:
            return Response(403, INACTIVE)
        for field, ok in (("client_id", query.get("client_id") == self.client_id),
                          ("redirect_uri", bool(query.get("redirect_uri"))),
                          ("response_type", query.get("response_type") == "code")):
            if not ok:
                return Response(400, fault_body("Bad Request", "Application", field, "invalid"))
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
        if form.get("client_id") != self.client_id:
            return Response(401, fault_body("Authorization Error", "Application", "client_id", "invalid"))
        if form.get("client_secret") != self.client_secret:
            return Response(401, fault_body("Authorization Error", "Application", "client_secret", "invalid"))
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
                return Response(400, fault_body("Bad Request", "AuthorizationCode", "code", "invalid"))
            self.scope = scope
            self._new_refresh_token()
            return Response(200, self._token_answer(reuse=False) | {"athlete": summary_athlete(self.athlete)})
        return Response(400, fault_body("Bad Request", "Application", "grant_type", "invalid"))

    def _new_refresh_token(self) -> None:
        self._refresh_n += 1
        self._refresh_current = f"sim-refresh-{self._refresh_n}-{secrets.token_hex(8)}"
        self._refresh_valid = {self._refresh_current}  # the old one dies immediately

    def _token_answer(self, reuse: bool) -> dict:
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
        kind, _, token = headers.get("authorization", "").partition(" ")
        entry = self._access.get(token.strip()) if kind.lower() == "bearer" else None
        if entry is None or entry[0] <= self.now():
            return Response(401, BAD_ACCESS_TOKEN)
        if needs and not set(entry[1].split(",")) & set(needs):
            return Response(401, MISSING_SCOPE)
        return None

    # --- activities -------------------------------------------------------------------------

    def _list_activities(self, query: dict[str, str], headers: dict[str, str]) -> Response:
        denied = self._authorized(headers, ("activity:read", "activity:read_all"))
        if denied:
            return denied
        params: dict[str, int | None] = {}
        for name in ("before", "after", "page", "per_page"):
            text = query.get(name)
            try:
                params[name] = int(float(text)) if text not in (None, "") else None
            except ValueError:
                return Response(400, fault_body("Bad Request", "Application", name, "invalid"))
        token = headers["authorization"].partition(" ")[2].strip()
        show_private = "activity:read_all" in self._access[token][1].split(",")
        return Response(200, self._page(show_private, **params))

    def _view(self, show_private: bool) -> tuple[list[int], list[dict]]:
        """Start epochs and activities, ascending, as one scope sees them (cached until an edit)."""
        if show_private not in self._views:
            entries = [t for t in self._store
                       if show_private or (t[2].get("visibility") != "only_me" and not t[2].get("private"))]
            self._views[show_private] = ([t[0] for t in entries], [t[2] for t in entries])
        return self._views[show_private]

    def _page(self, show_private: bool, before: int | None, after: int | None, page: int | None,
              per_page: int | None) -> list[dict]:
        starts, items = self._view(show_private)
        lo = bisect.bisect_right(starts, after) if after is not None else 0
        hi = bisect.bisect_left(starts, before) if before is not None else len(starts)
        size = min(per_page, MAX_PER_PAGE) if per_page and per_page > 0 else 30
        skip = (max(page or 1, 1) - 1) * size
        if after is not None:  # oldest first
            return items[lo + skip:max(lo + skip, min(hi, lo + skip + size))]
        top = hi - skip  # newest first
        return items[max(lo, top - size):max(lo, top)][::-1]


# --- faults applied to an answer ------------------------------------------------------------

def apply_fault(fault: Fault | None, response: Response) -> Response:
    """Rewrite the API's answer as the fault says ("reset" is handled by the HTTP handler)."""
    if fault is None:
        return response
    kind, headers = fault.kind, response.headers
    if response.status == 429 or response.status == 403:
        return response  # rate limits and inactivity win over injected trouble
    if kind == "status":
        body = fault.body if fault.body is not None else {"message": HTTPStatus(fault.status).phrase,
                                                           "errors": []}
        return Response(fault.status, body, fault.content_type or _guess_type(body), headers)
    if kind == "html":
        return Response(fault.status or 200, fault.body or HTML_PAGE, fault.content_type or "text/html", headers)
    if kind == "not_list":
        body = fault.body if fault.body is not None else {"message": "OK", "activities": []}
        return Response(fault.status or 200, body, fault.content_type or _guess_type(body), headers)
    if kind == "truncated" and response.status == 200:
        raw = _encode(response.body) if not isinstance(response.body, bytes) else response.body
        return Response(response.status, raw[: max(1, len(raw) // 2)], response.content_type, headers)
    if kind in ("missing_id", "type_change") and response.status == 200 and response.body:
        if isinstance(response.body, list):
            body = list(response.body)
            i = len(body) // 2
            body[i] = dict(body[i])
            if kind == "missing_id":
                del body[i]["id"]
            else:
                body[i]["distance"] = f"{(body[i].get('distance') or 0) / 1000:.1f}km"
            return Response(200, body, response.content_type, headers)
    return response


def _guess_type(body: Any) -> str:
    return "text/plain; charset=utf-8" if isinstance(body, (str, bytes)) else "application/json; charset=utf-8"


def _encode(body: Any) -> bytes:
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode()
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


# --- control endpoints ----------------------------------------------------------------------

def control(sim: StravaSimulator, method: str, path: str, body: bytes) -> Response:
    """The /_sim/ endpoints (see the module docstring). Errors answer {"error": text}."""
    try:
        data = json.loads(body) if body.strip() else {}
        return _control(sim, method, path.rstrip("/").split("/")[2:], data)
    except KeyError as exc:
        return Response(404, {"error": f"unknown activity {exc}"})
    except (ValueError, TypeError) as exc:
        return Response(400, {"error": str(exc)})


def _control(sim: StravaSimulator, method: str, parts: list[str], data: Any) -> Response:
    if not isinstance(data, dict):
        raise ValueError("send a JSON object")
    match method, parts:
        case "GET", ["state"]:
            return Response(200, sim.state())
        case "GET", ["requests"]:
            return Response(200, [list(r) for r in sim.request_log])
        case "GET", ["activities"]:
            return Response(200, sim.activities)
        case "POST", ["activities"]:
            return Response(201, sim.add_activity(**data))
        case "GET", ["activities", activity_id]:
            return Response(200, sim.get_activity(int(activity_id)))
        case "PATCH", ["activities", activity_id]:
            drop = data.pop("drop_keys", ())
            return Response(200, sim.edit_activity(int(activity_id), drop_keys=drop, **data))
        case "DELETE", ["activities", activity_id]:
            sim.delete_activity(int(activity_id))
            return Response(200, {"deleted": int(activity_id)})
        case "POST", ["faults"]:
            sim.inject(**data)
            return Response(201, {"faults_pending": sim.state()["faults_pending"]})
        case "DELETE", ["faults"]:
            sim.reset_faults()
            return Response(200, {"faults_pending": 0})
        case "POST", ["config"]:
            sim.configure(**data)
            return Response(200, sim.state())
    return Response(404, {"error": f"no control endpoint {method} /_sim/{'/'.join(parts)}"})


# --- HTTP plumbing --------------------------------------------------------------------------

class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    sim: StravaSimulator

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(*args, **kwargs)

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


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as Strava
    server_version = "strava-simulator"
    timeout = 60
    server: _Server

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
        if split.path.startswith("/_sim/"):
            self._send(control(sim, self.command, split.path, body))
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        response, fault = sim.handle(self.command, split.path, query, _form(body, headers), headers)
        pause = sim.latency + (fault.delay if fault else 0.0)
        if pause > 0:
            time.sleep(pause)
        if fault is not None and fault.kind == "reset":
            self._reset()
            return
        self._send(apply_fault(fault, response))

    def _reset(self) -> None:
        """Close with a TCP reset, without a byte of answer."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True

    def _send(self, response: Response) -> None:
        raw = _encode(response.body) if response.body is not None else b""
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(raw)))
        for name, value in (response.headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(raw)


def _form(body: bytes, headers: dict[str, str]) -> dict[str, str]:
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
