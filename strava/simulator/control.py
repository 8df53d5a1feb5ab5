"""The simulator's control endpoints, for tests and demos driving it over HTTP.

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
                                   revoke_refresh_token (true), advance_clock (seconds),
                                   clock (epoch seconds, forward only: the virtual clock
                                   that rate windows, token expiry and new uploads follow)
                                   hr_zones [4 bpm between the 5 zones] or null (defaults)

Errors answer {"error": text}: 404 for an unknown activity or endpoint, 400 for a bad request.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from strava.simulator.wire import Response

PREFIX = "/_sim/"


class Controlled(Protocol):
    """What the control endpoints drive: StravaSimulator's methods for tests. A Protocol, so that this
    module and the HTTP handler never import the server (which imports them)."""

    request_log: list[tuple[str, str, dict[str, str]]]

    @property
    def activities(self) -> list[dict]: ...
    def state(self) -> dict: ...
    def add_activity(self, **fields: Any) -> dict: ...
    def get_activity(self, activity_id: int) -> dict: ...
    def edit_activity(self, activity_id: int, *, drop_keys: Iterable[str] = (), **fields: Any) -> dict: ...
    def delete_activity(self, activity_id: int) -> None: ...
    @property
    def inject(self) -> Callable[..., None]: ...  # (path_prefix, **fault), keywords from the POSTed JSON
    def reset_faults(self) -> None: ...
    def configure(self, **config: Any) -> None: ...
    def deliver_event(self, **fields: Any) -> dict: ...
    def deauthorize(self) -> dict: ...


def control(sim: Controlled, method: str, path: str, body: bytes) -> Response:
    """Answer one /_sim/ request; the simulator's own checks become 400s and 404s."""
    try:
        data = json.loads(body) if body.strip() else {}
        return _control(sim, method, path.rstrip("/").split("/")[2:], data)
    except KeyError as exc:
        return Response(404, {"error": f"unknown activity {exc}"})
    except (ValueError, TypeError) as exc:
        return Response(400, {"error": str(exc)})


def _control(sim: Controlled, method: str, parts: list[str], data: Any) -> Response:
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
        case "POST", ["webhook", "events"]:
            return Response(200, sim.deliver_event(**data))
        case "POST", ["webhook", "deauthorize"]:
            return Response(200, sim.deauthorize())
        case "POST", ["config"]:
            sim.configure(**data)
            return Response(200, sim.state())
    return Response(404, {"error": f"no control endpoint {method} /_sim/{'/'.join(parts)}"})
