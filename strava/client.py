"""Domain client: the few Strava calls the sync needs, built on the protocol layer in strava/http.py."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from strava.errors import BadResponse, MissingScope, NotFound
from strava.http import StravaHTTP
from strava.ratelimit import RateBudget
from strava.settings import Settings

MAX_PER_PAGE = 200
SCOPE = "read,activity:read_all,profile:read_all"  # profile:read_all: heart-rate zones (optional for the athlete)
HR_ZONES = 5
# Every stream Strava records, asked for in one request (each stream request costs one read).
STREAM_KEYS = ("time", "distance", "latlng", "altitude", "velocity_smooth", "heartrate", "cadence", "watts",
               "temp", "moving", "grade_smooth")


@dataclass(frozen=True)
class TokenGrant:
    """Strava's answer to a token request. The refresh token may have rotated: persist it first."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: int
    scope: str | None = None
    athlete: dict | None = None

    @classmethod
    def from_response(cls, body: Any) -> TokenGrant:
        """Validate the shape (never echoing values: they are secrets)."""
        if not isinstance(body, dict):
            raise BadResponse(f"Strava's token answer is a {type(body).__name__}, not an object")
        for name in ("access_token", "refresh_token"):
            if not isinstance(body.get(name), str) or not body[name]:
                raise BadResponse(f"Strava's token answer lacks {name}")
        expires_at = body.get("expires_at")
        if isinstance(expires_at, bool) or not isinstance(expires_at, int | float):
            raise BadResponse("Strava's token answer lacks a numeric expires_at")
        scope, athlete = body.get("scope"), body.get("athlete")
        return cls(
            access_token=body["access_token"],
            refresh_token=body["refresh_token"],
            expires_at=int(expires_at),
            scope=scope if isinstance(scope, str) else None,
            athlete=athlete if isinstance(athlete, dict) else None,
        )


class StravaClient:
    def __init__(
        self, settings: Settings, http: StravaHTTP | None = None, budget: RateBudget | None = None
    ) -> None:
        if http is not None and budget is not None and http.budget is not budget:
            raise ValueError("pass either http or budget, or the budget that http already uses")
        self.settings = settings
        self.budget = http.budget if http is not None else budget or RateBudget(settings.rate_reserve)
        self.http = http or StravaHTTP(settings, self.budget)

    @property
    def api_calls(self) -> int:
        return self.http.calls

    def refresh_access_token(
        self, client_id: str | int, client_secret: str, refresh_token: str
    ) -> TokenGrant:
        grant = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        return self._token_request(client_id, client_secret, **grant)

    def exchange_code(self, client_id: str | int, client_secret: str, code: str) -> TokenGrant:
        return self._token_request(client_id, client_secret, grant_type="authorization_code", code=code)

    def authorize_url(
        self, client_id: str | int, redirect_uri: str, scope: str = SCOPE,
        state: str | None = None,
    ) -> str:
        params = {"client_id": client_id, "redirect_uri": redirect_uri, "response_type": "code",
                  "approval_prompt": "force", "scope": scope}
        if state is not None:
            params["state"] = state
        # Keep ',', ':' and '/' readable: the URL is shown to a person.
        return f"{self.settings.oauth_url.rstrip('/')}/authorize?{urlencode(params, safe=',:/')}"

    def iter_activity_pages(
        self, access_token: str, *, after: int | None = None, before: int | None = None,
        per_page: int = MAX_PER_PAGE,
    ) -> Iterator[list[dict]]:
        """Yield non-empty pages of /athlete/activities until an empty one (a short page may not be last)."""
        if not 1 <= per_page <= MAX_PER_PAGE:
            raise ValueError(f"per_page must be 1..{MAX_PER_PAGE}, not {per_page}")
        bounds = {name: value for name, value in (("after", after), ("before", before)) if value is not None}
        page = 1
        while True:
            items = self.http.request("GET", self._api("athlete/activities"), access_token=access_token,
                                      params={**bounds, "page": page, "per_page": per_page})
            if not isinstance(items, list):
                raise BadResponse(f"Strava answered page {page} of /athlete/activities with a "
                                  f"{type(items).__name__} instead of a list")
            if not items:
                return
            yield items
            page += 1

    def get_activity(self, access_token: str, activity_id: int) -> dict | None:
        """GET /activities/{id}: the activity (as detail), or None when Strava answers 404, which is what a
        deleted activity gets (and one the token may no longer see): an answer, never an error."""
        try:
            activity = self.http.request("GET", self._api(f"activities/{int(activity_id)}"),
                                         access_token=access_token)
        except NotFound:
            return None
        if not isinstance(activity, dict) or "id" not in activity:
            raise BadResponse(f"Strava answered /activities/{activity_id} with a {type(activity).__name__} "
                              "that is not an activity")
        return activity

    def get_athlete(self, access_token: str) -> dict:
        athlete = self.http.request("GET", self._api("athlete"), access_token=access_token)
        if not isinstance(athlete, dict):
            kind = type(athlete).__name__
            raise BadResponse(f"Strava answered /athlete with a {kind} instead of an object")
        return athlete

    def get_athlete_zones(self, access_token: str) -> tuple[float, ...] | None:
        """GET /athlete/zones: the 4 heart rates between the athlete's 5 heart-rate zones (the `min` of zones
        2..5), or None when the token lacks profile:read_all (Strava's 401 "..._permission missing"), the
        endpoint is not there (404: e.g. a Strava stand-in without it) or the answer has no usable heart-rate
        zones; None is recorded, so the question is not asked again each run. Other errors propagate (rate
        limit, outage...)."""
        try:
            body = self.http.request("GET", self._api("athlete/zones"), access_token=access_token)
        except (MissingScope, NotFound):
            return None
        return hr_zone_bounds(body)

    # --- webhook subscription (the app's client id and secret, no athlete token) ---------------------------

    def create_push_subscription(self, client_id: str | int, client_secret: str, callback_url: str,
                                 verify_token: str) -> int:
        """Strava checks the callback (GET with hub.challenge) before answering; returns the subscription id."""
        data = {"client_id": str(client_id), "client_secret": client_secret, "callback_url": callback_url,
                "verify_token": verify_token}
        answer = self.http.request("POST", self._api("push_subscriptions"), data=data)
        if not isinstance(answer, dict) or isinstance(answer.get("id"), bool) or not isinstance(answer.get("id"), int):
            raise BadResponse("Strava's answer to POST /push_subscriptions lacks the subscription id")
        return answer["id"]

    def push_subscriptions(self, client_id: str | int, client_secret: str) -> list[dict]:
        params = {"client_id": str(client_id), "client_secret": client_secret}
        answer = self.http.request("GET", self._api("push_subscriptions"), params=params)
        if not isinstance(answer, list):
            raise BadResponse(f"Strava answered GET /push_subscriptions with a {type(answer).__name__}, not a list")
        return [item for item in answer if isinstance(item, dict)]

    def delete_push_subscription(self, client_id: str | int, client_secret: str, subscription_id: int) -> None:
        params = {"client_id": str(client_id), "client_secret": client_secret}
        self.http.request("DELETE", self._api(f"push_subscriptions/{int(subscription_id)}"), params=params)

    def get_activity_streams(self, access_token: str, activity_id: int) -> dict[str, dict] | None:
        """An activity's streams keyed by type (`{"watts": {"data": [...], ...}, ...}`), or None when it has
        none: manual entries answer 404 or an empty body."""
        try:
            body = self.http.request("GET", self._api(f"activities/{int(activity_id)}/streams"),
                                     access_token=access_token,
                                     params={"keys": ",".join(STREAM_KEYS), "key_by_type": "true"})
        except NotFound:
            return None
        if body in ([], {}, None):
            return None
        if not isinstance(body, dict) or not all(isinstance(v, dict) for v in body.values()):
            raise BadResponse(f"Strava answered the streams of activity {activity_id} with a "
                              f"{type(body).__name__} not keyed by stream type")
        return body

    def _token_request(self, client_id: str | int, client_secret: str, **grant: str) -> TokenGrant:
        data = {"client_id": str(client_id), "client_secret": client_secret, **grant}
        return TokenGrant.from_response(self.http.request("POST", self.settings.token_url, data=data))

    def _api(self, path: str) -> str:
        return f"{self.settings.api_url.rstrip('/')}/{path}"


def hr_zone_bounds(body: Any) -> tuple[float, ...] | None:
    """The heart rates between the zones of a Zones answer (`{"heart_rate": {"zones": [{"min", "max"}, ...]}}`),
    or None unless it holds 5 zones whose bounds increase."""
    heart = body.get("heart_rate") if isinstance(body, dict) else None
    zones = heart.get("zones") if isinstance(heart, dict) else None
    if not isinstance(zones, list) or len(zones) != HR_ZONES or not all(isinstance(z, dict) for z in zones):
        return None
    bounds = [z.get("min") for z in zones[1:]]
    if not all(isinstance(b, int | float) and not isinstance(b, bool) and b > 0 for b in bounds):
        return None
    floats = tuple(float(b) for b in bounds)
    return floats if list(floats) == sorted(set(floats)) else None
