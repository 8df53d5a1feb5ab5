"""Strava's webhook side in the simulator: the app's push subscription and event delivery with retries.

  POST   /api/v3/push_subscriptions        client_id, client_secret, callback_url, verify_token (form or
                                           query): first GETs callback?hub.mode=subscribe&hub.challenge=X
                                           &hub.verify_token=T and needs 200 {"hub.challenge": X} within
                                           2 s; then 201 {"id": N}. One subscription per app ("already
                                           exists" otherwise).
  GET    /api/v3/push_subscriptions        client_id, client_secret: [{id, callback_url, ...}] (0 or 1)
  DELETE /api/v3/push_subscriptions/<id>   client_id, client_secret: 204

Events are POSTed to the callback as Strava does: 3 attempts in all, each given 2 s to answer 200.
The control endpoints (strava.simulator.control) trigger them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests

from strava.simulator.wire import BAD_CLIENT, NOT_FOUND, Response, fault_body

ANSWER_WITHIN = 2.0  # seconds Strava gives the callback
ATTEMPTS = 3  # deliveries of one event in all


def already_exists() -> Response:
    return Response(400, fault_body("Bad Request", "PushSubscription", "", "already exists"))


def callback_refused(why: str) -> Response:
    return Response(400, fault_body("Bad Request", "PushSubscription", "callback url", why))


@dataclass
class Subscription:
    id: int
    callback_url: str
    created_at: str

    def to_dict(self, application_id: str) -> dict[str, Any]:
        return {"id": self.id, "resource_state": 2, "application_id": int(application_id),
                "callback_url": self.callback_url, "created_at": self.created_at, "updated_at": self.created_at}


class PushSubscriptions:
    """The app's subscription (at most one) and the deliveries made, for tests to inspect."""

    def __init__(self, client_id: str, client_secret: str, retry_pause: float = 0.0) -> None:
        self.client_id, self.client_secret = client_id, client_secret
        self.current: Subscription | None = None
        self.retry_pause = retry_pause  # between delivery attempts (Strava's spacing is not documented)
        self.deliveries: list[dict[str, Any]] = []
        self._next_id = 1000

    def _app_ok(self, fields: dict[str, str]) -> bool:
        return (fields.get("client_id"), fields.get("client_secret")) == (self.client_id, self.client_secret)

    def route(self, method: str, rest: str, fields: dict[str, str]) -> Response:
        """`rest`: the path after /push_subscriptions ('' or '/<id>'). Blocks while checking a callback."""
        if not self._app_ok(fields):
            return Response(400 if method == "POST" else 401, BAD_CLIENT)
        if method == "POST" and not rest:
            return self.create(fields.get("callback_url", ""), fields.get("verify_token", ""))
        if method == "GET" and not rest:
            return Response(200, [self.current.to_dict(self.client_id)] if self.current else [])
        if method == "DELETE" and self.current is not None and rest.strip("/") == str(self.current.id):
            self.current = None
            return Response(204, None)
        return Response(404, NOT_FOUND)

    def create(self, callback_url: str, verify_token: str) -> Response:
        if self.current is not None:
            return already_exists()
        if not callback_url.startswith(("http://", "https://")):
            return callback_refused("invalid")
        challenge = f"sim-challenge-{self._next_id}"
        try:
            answer = requests.get(callback_url, timeout=ANSWER_WITHIN, params={
                "hub.mode": "subscribe", "hub.challenge": challenge, "hub.verify_token": verify_token})
            echoed = answer.status_code == 200 and answer.json().get("hub.challenge") == challenge
        except (requests.RequestException, ValueError, AttributeError):
            echoed = False
        if not echoed:
            return callback_refused("GET to callback URL does not return 200")
        self.current = Subscription(self._next_id, callback_url, f"{datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ}")
        self._next_id += 1
        return Response(201, {"id": self.current.id})

    def deliver(self, event: dict[str, Any]) -> list[int | str]:
        """POST `event` to the callback until it answers 200 within 2 s, 3 attempts in all; returns what
        each attempt got (a status, or "timeout"/"error")."""
        if self.current is None:
            raise ValueError("no push subscription: POST /api/v3/push_subscriptions first")
        outcomes: list[int | str] = []
        for attempt in range(ATTEMPTS):
            if attempt:
                time.sleep(self.retry_pause)
            try:
                outcomes.append(requests.post(self.current.callback_url, json=event, timeout=ANSWER_WITHIN).status_code)
            except requests.Timeout:
                outcomes.append("timeout")
            except requests.RequestException:
                outcomes.append("error")
            if outcomes[-1] == 200:
                break
        self.deliveries.append({"event": event, "attempts": outcomes})
        return outcomes
