"""A local HTTP server that behaves like Strava's API v3 for one athlete (demo, tests, benchmark).

Strava endpoints (base `url`):
  POST /oauth/token, POST /api/v3/oauth/token   refresh_token and authorization_code grants (form,
                                                JSON or query fields); rotation and reuse of a still
                                                fresh access token as Strava does
  GET  /oauth/authorize                         auto-approves: 302 to redirect_uri?state=&code=&scope=
  GET  /api/v3/athlete                          DetailedAthlete-like profile (ftp, weight, gear)
  GET  /api/v3/athlete/zones                    heart-rate and power Zones (see `zones`); needs
                                                profile:read_all, else 401 `profile:read_all_permission`
  GET  /api/v3/activities/{id}/streams          keys, key_by_type: generated from the summary (see
                                                `streams`); 404 for manual entries and unknown ids
  GET  /api/v3/activities/{id}[/laps]           a DetailedActivity (description, calories, laps...) or its
                                                laps, derived from the summary (see `details`)
  GET  /api/v3/athlete/activities               page, per_page (default 30, capped at 200), before,
                                                after (strict, epoch s on start_date); newest first,
                                                oldest first when only `after` is given; [] past the end
  GET  /api/v3/activities/{id}                  one activity as detail (description, calories);
                                                404 Record Not Found once deleted
  /api/v3/push_subscriptions                    webhooks: see strava.simulator.webhooks

Errors are Strava Faults `{"message", "errors": [{"resource", "field", "code"}]}`: 400
`Application/client_id/invalid` for a wrong client id or secret, 400 for a dead refresh token or code,
401 for a bad access token, 401 `activity:read_permission` for a token without an activity scope, 403
`Application/Status/Inactive` in inactive mode, 429 over a rate limit. Answers are chunked (no
Content-Length). API answers carry X-RateLimit-Limit/-Usage and X-ReadRateLimit-Limit/-Usage
("15min,daily"); token answers carry none. Windows come from `clock`: 15-minute ones reset at
:00/:15/:30/:45 UTC, daily ones at 00:00 UTC. Every request counts toward the overall limits, GETs also
toward the read limits (the authorize page counts toward neither). A refused request counts toward the
daily usage only. These behaviours follow recorded Strava traffic.

The /_sim/ control endpoints (state, the truth, faults, config) are documented in
`strava.simulator.control`. The pieces: `oauth` (tokens), `store` (the activities), `ratelimits`,
`faults` (injected trouble), `wire` (answers, Fault bodies) and `httpd` (the socket side).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from strava.simulator.data import ActivityFactory, _id_at, default_end, generate_activities
from strava.simulator.details import detail_response
from strava.simulator.faults import REPLACING, Fault, FaultQueue
from strava.simulator.httpd import Server
from strava.simulator.oauth import OAuthMixin, denial
from strava.simulator.ratelimits import RateLimits
from strava.simulator.store import ActivityStore, apply_fields, copy_json, epoch, visible
from strava.simulator.streams import streams_response
from strava.simulator.webhooks import PushSubscriptions
from strava.simulator.wire import (
    API,
    INACTIVE,
    MISSING_PROFILE_SCOPE,
    MISSING_SCOPE,
    NOT_FOUND,
    RATE_LIMITED,
    Response,
    bad_request,
)
from strava.simulator.zones import default_hr_bounds, zones_body

# The Fault bodies tests compare against, and the simulator.
__all__ = ["INACTIVE", "MISSING_PROFILE_SCOPE", "MISSING_SCOPE", "StravaSimulator"]

ACTIVITY_SCOPES = ("activity:read", "activity:read_all")
PROFILE_SCOPES = ("profile:read_all",)
# What the demo's and tests' tokens are granted unless a test asks otherwise: everything the sync asks for.
DEFAULT_SCOPE = "read,activity:read_all,profile:read_all"
LIST_PARAMS = ("before", "after", "page", "per_page")
TOKEN_PATHS = ("/oauth/token", API + "/oauth/token")
STREAMS_PATH = re.compile(re.escape(API) + r"/activities/\d{1,19}/streams")
DETAIL_PATH = re.compile(re.escape(API) + r"/activities/(\d{1,19})(/laps)?")


class StravaSimulator(OAuthMixin):
    """Strava for one athlete. See the module docstring for the HTTP surface.

    `activities`: how many to generate (seed, end: see `generate_activities`; `end` defaults to
    00:00 UTC of `clock`'s day) or the list itself (each item needs `id` and `start_date`).
    `clock` drives token expiry and rate-limit windows; `latency` (s) is added to every API answer.
    """

    def __init__(self, activities: int | list[dict] = 300, seed: int = 1, *, client_id: str = "12345",
                 client_secret: str = "sim-secret", refresh_token: str = "sim-refresh-0",
                 rotate: bool = False, scope: str = DEFAULT_SCOPE,
                 authorize_scope: str | None = None, read_limits: tuple[int, int] = (100, 1000),
                 overall_limits: tuple[int, int] = (200, 2000), latency: float = 0.0,
                 clock: Callable[[], float] = time.time, end: datetime | None = None) -> None:
        self._lock = threading.RLock()
        self._clock, self._clock_shift = clock, 0.0
        self.client_id, self.client_secret = str(client_id), client_secret
        self.rotate, self.scope, self.authorize_scope = rotate, scope, authorize_scope
        self.deny_authorize, self.inactive, self.latency = False, False, latency
        self.rate = RateLimits(read_limits, overall_limits)
        self.seed = seed
        self._factory = ActivityFactory(seed)
        self._factory.rng.seed(f"additions-{seed}")  # additions must not replay the generated ones
        self.athlete = self._factory.athlete
        self.hr_zones, self.custom_zones = default_hr_bounds(seed), False
        self._store = self._load(activities, seed, end)
        self._init_tokens(refresh_token)
        self._faults = FaultQueue()
        self.push = PushSubscriptions(self.client_id, self.client_secret)
        self.request_log: list[tuple[str, str, dict[str, str]]] = []
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self._foreground = False

    def _load(self, activities: int | list[dict], seed: int, end: datetime | None) -> ActivityStore:
        """Generate the truth, or take a copy of the given one (whose athlete then becomes ours)."""
        if isinstance(activities, int):
            return ActivityStore(generate_activities(activities, seed, end or default_end(self.now())))
        rows = copy_json(activities)
        if rows:
            owner = rows[0].get("athlete", {}).get("id", self.athlete["id"])
            self.athlete = self.athlete | {"id": owner}
        return ActivityStore(rows)

    # --- lifecycle ------------------------------------------------------------------------

    def bind(self, host: str = "127.0.0.1", port: int = 0) -> StravaSimulator:
        """Open the listening socket (so `url` is known) without serving yet."""
        self._bound(host, port)
        return self

    def _bound(self, host: str, port: int) -> Server:
        if self._server is None:
            self._server = Server(self, host, port)
        return self._server

    def start(self, host: str = "127.0.0.1", port: int = 0) -> StravaSimulator:
        """Serve from a background thread."""
        server = self._bound(host, port)
        if self._thread is None:
            self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02},
                                            name="strava-simulator", daemon=True)
            self._thread.start()
        return self

    def serve_forever(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Serve in the foreground until interrupted or stop() (the CLI `simulate` command)."""
        if self._thread is not None:
            raise RuntimeError("already serving from a background thread")
        server = self._bound(host, port)
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
        host, port = self._server.socket.getsockname()[:2]  # = server_address, whose stub allows bytes
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

    @property
    def calls(self) -> int:
        """Requests to Strava's endpoints so far (control endpoints excluded)."""
        return len(self.request_log)

    @property
    def activities(self) -> list[dict]:
        """The current truth, oldest first (copies)."""
        with self._lock:
            items = self._store.items()
        return copy_json(items)  # outside the lock: the store replaces dicts, never changes them

    def get_activity(self, activity_id: int) -> dict:
        with self._lock:
            return self._store.get(int(activity_id))

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
                "athlete_id": self.athlete["id"], "hr_zones": list(self.hr_zones),
            }

    # --- edits ------------------------------------------------------------------------------

    def add_activity(self, **fields: Any) -> dict:
        """A new upload (new, highest id); an old `start_date` models a late upload."""
        with self._lock:
            now = int(self.now())
            new_id = max(self._store.max_id(), _id_at(now)) + self._factory.rng.below(1000, 100_000)
            start = epoch(fields["start_date"]) if "start_date" in fields else now - 2 * 3600
            activity = self._factory.make(start, new_id, fields.get("sport_type"))
            activity["athlete"] = {"id": self.athlete["id"], "resource_state": 1}
            return self._store.add(apply_fields(activity, fields, ()))

    def edit_activity(self, activity_id: int, *, drop_keys: Iterable[str] = (), **fields: Any) -> dict:
        """Change fields (a new dict replaces the old one: pages being sent stay consistent)."""
        with self._lock:
            return self._store.edit(int(activity_id), fields, drop_keys)

    def delete_activity(self, activity_id: int) -> None:
        with self._lock:
            self._store.delete(int(activity_id))

    # --- webhooks ---------------------------------------------------------------------------

    def deliver_event(self, **fields: Any) -> dict:
        """Send a webhook event (Strava's fields; ours filled in by default) with Strava's retries."""
        with self._lock:
            sub = self.push.current
            event = {"object_type": "activity", "aspect_type": "update", "updates": {},
                     "owner_id": self.athlete["id"], "subscription_id": sub.id if sub else 0,
                     "event_time": int(self.now())} | fields
        return {"event": event, "attempts": self.push.deliver(event)}  # outside the lock: it waits on HTTP

    def deauthorize(self) -> dict:
        """The athlete revokes the app: every token dies, then the deauthorization event is sent."""
        with self._lock:
            self._refresh_valid.clear()
            self._access.clear()
        return self.deliver_event(object_type="athlete", object_id=self.athlete["id"],
                                  updates={"authorized": "false"})

    # --- knobs ------------------------------------------------------------------------------

    def inject(self, path_prefix: str = "/api/v3/athlete/activities", *, status: int | None = None,
               body: Any = None, content_type: str | None = None, kind: str | None = None,
               delay: float = 0.0, times: int | None = 1, page: int | None = None) -> None:
        """Queue a fault for the next matching request(s); see strava.simulator.faults."""
        kind = kind or ("status" if status is not None else "slow" if delay else "")  # "": refused by Fault
        fault = Fault(path_prefix, kind, status, body, content_type, float(delay), times, page)
        with self._lock:
            self._faults.add(fault)

    def reset_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def set_hr_zones(self, bounds: Iterable[int] | None) -> None:
        """The athlete's own 4 heart rates between the 5 zones (custom zones); None: Strava's defaults again."""
        with self._lock:
            self.hr_zones = default_hr_bounds(self.seed) if bounds is None else tuple(int(b) for b in bounds)
            self.custom_zones = bounds is not None

    def set_inactive(self, inactive: bool) -> None:
        with self._lock:
            self.inactive = bool(inactive)

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

    def set_clock(self, moment: float) -> None:
        """Jump the clock to epoch `moment` (a simulated schedule: the next run's time). Never backwards:
        rate windows and token expiry only move forward."""
        with self._lock:
            if moment < self.now():
                raise ValueError(f"the clock only moves forward: {moment} is before {self.now()}")
            self._clock_shift = moment - self._clock()

    def configure(self, **config: Any) -> None:
        """Several knobs at once; the keys of POST /_sim/config."""
        setters: dict[str, Callable[[Any], None]] = {
            "rotate": self.set_rotation, "scope": self.set_scope, "inactive": self.set_inactive,
            "authorize_scope": self.set_authorize_scope, "hr_zones": self.set_hr_zones,
            "deny_authorize": lambda v: setattr(self, "deny_authorize", bool(v)),
            "read_limits": lambda v: setattr(self.rate, "read_limits", tuple(int(x) for x in v)),
            "overall_limits": lambda v: setattr(self.rate, "overall_limits", tuple(int(x) for x in v)),
            "latency": lambda v: setattr(self, "latency", float(v)),
            "usage": lambda v: self.set_usage(*(int(x) for x in v)),
            "revoke_refresh_token": lambda v: self.revoke_refresh_token() if v else None,
            "advance_clock": lambda v: self.advance_clock(float(v)),
            "clock": lambda v: self.set_clock(float(v)),
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
            fault = self._faults.take(path, query)
            if path.rstrip("/") == "/oauth/authorize":
                return self._authorize(query), fault  # a web page: no rate limits
            allowed = self.rate.charge(self.now(), is_read=method == "GET")
            response = self._route(method, path, query, form, headers, allowed, fault)
            if path.rstrip("/") not in TOKEN_PATHS:  # Strava's token answers carry no rate-limit headers
                response.headers = self.rate.headers()
            return response, fault

    def _route(self, method: str, path: str, query: dict, form: dict, headers: dict, allowed: bool,
               fault: Fault | None) -> Response:
        if self.inactive:
            return Response(403, INACTIVE)
        if not allowed:
            return Response(429, RATE_LIMITED)
        if fault is not None and fault.kind in REPLACING:
            return Response(200, None)  # replaced by the fault; the request still counted
        route = (method, path.rstrip("/"))
        if method == "POST" and route[1] in TOKEN_PATHS:
            return self._token({**query, **form})
        if route == ("GET", API + "/athlete"):
            return self._authorized(headers, None) or Response(200, self.athlete)
        if route == ("GET", API + "/athlete/zones"):
            return denial(self._token_scopes(headers), PROFILE_SCOPES, MISSING_PROFILE_SCOPE) or Response(
                200, zones_body(self.hr_zones, self.custom_zones, self.athlete.get("ftp")))
        if route == ("GET", API + "/athlete/activities"):
            return self._list_activities(query, headers)
        if route[1].startswith(API + "/push_subscriptions"):  # the app's credentials, no athlete token
            return self.push.route(method, route[1].removeprefix(API + "/push_subscriptions"), {**query, **form})
        if method == "GET" and STREAMS_PATH.fullmatch(route[1]):
            return self._streams(int(route[1].split("/")[-2]), query, headers)
        if method == "GET" and (detail := DETAIL_PATH.fullmatch(route[1])):
            return self._detail(int(detail[1]), headers, laps_only=bool(detail[2]))
        return Response(404, NOT_FOUND)

    def _streams(self, activity_id: int, query: dict[str, str], headers: dict[str, str]) -> Response:
        denied, activity = self._visible(activity_id, headers)
        return denied or streams_response(activity, self.seed, query)

    def _detail(self, activity_id: int, headers: dict[str, str], laps_only: bool) -> Response:
        denied, activity = self._visible(activity_id, headers)
        return denied or detail_response(activity, self.seed, laps_only)

    def _visible(self, activity_id: int, headers: dict[str, str]) -> tuple[Response | None, dict | None]:
        """(the Fault for a token without an activity scope, or None; the activity this token may see)."""
        scopes = self._token_scopes(headers)
        denied = denial(scopes, ACTIVITY_SCOPES)
        if denied:
            return denied, None
        activity = self._store.find(activity_id)
        if activity and not visible(activity, "activity:read_all" in (scopes or ())):
            activity = None  # an "Only You" activity does not exist for an activity:read token
        return None, activity

    def _list_activities(self, query: dict[str, str], headers: dict[str, str]) -> Response:
        scopes = self._token_scopes(headers)
        denied = denial(scopes, ACTIVITY_SCOPES)
        if denied:
            return denied
        assert scopes is not None  # denial() refuses a request without a live token
        params: dict[str, int | None] = {}
        for name in LIST_PARAMS:
            text = query.get(name)
            try:
                params[name] = int(float(text)) if text not in (None, "") else None
            except ValueError:
                return bad_request("Application", name)
        return Response(200, self._store.page("activity:read_all" in scopes, **params))
