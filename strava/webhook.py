"""Strava's webhook requests, validated: the subscription check (GET) and events (POST). Pure, so fuzzable.

Strava does not sign events, so nothing here trusts one: an event is accepted only when it is well formed
and names our subscription and athlete, and even then it is a hint that the sync confirms by reading the
object back from Strava with our token (strava.events).
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from strava.secrets.base import WebhookConfig

MAX_EVENT_BYTES = 4096  # a real event is ~300 bytes; a title update adds at most a few hundred
MAX_UPDATES = 10
MAX_TEXT = 1000  # characters of one update value (titles are shorter)
OBJECT_TYPES = ("activity", "athlete")
ASPECT_TYPES = ("create", "update", "delete")
INTEGER_FIELDS = ("object_id", "owner_id", "subscription_id", "event_time")
FIELDS = frozenset((*INTEGER_FIELDS, "object_type", "aspect_type", "updates"))
MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class Event:
    object_type: str
    object_id: int
    aspect_type: str
    owner_id: int
    subscription_id: int
    event_time: int
    updates: dict[str, str] = field(default_factory=dict)

    @property
    def task_name(self) -> str:
        """Stable across Strava's retries of this event, different for any other event."""
        return f"strava-{self.object_type}-{self.object_id}-{self.aspect_type}-{self.event_time}"

    @property
    def deauthorization(self) -> bool:
        return self.object_type == "athlete" and str(self.updates.get("authorized", "")).lower() == "false"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]


def challenge(query: Mapping[str, str], config: WebhookConfig) -> Answer:
    """Strava's subscription check: echo hub.challenge when hub.verify_token is ours (constant time)."""
    token = query.get("hub.verify_token", "")  # first: a caller without our token learns nothing more
    if not config.verify_token or not hmac.compare_digest(token.encode(), config.verify_token.encode()):
        return Answer(403, {"error": "verify token mismatch"})
    if query.get("hub.mode") != "subscribe" or not query.get("hub.challenge"):
        return Answer(400, {"error": "expected hub.mode=subscribe and a hub.challenge"})
    return Answer(200, {"hub.challenge": query["hub.challenge"]})


def parse_event(body: bytes) -> Event | Answer:
    """A strictly valid event, or the 4xx answer saying what is wrong with it."""
    if len(body) > MAX_EVENT_BYTES:
        return Answer(413, {"error": f"event over {MAX_EVENT_BYTES} bytes"})
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return Answer(400, {"error": "body is not JSON"})
    reason = problem(data)
    return Answer(400, {"error": reason}) if reason else event_from(data)


def event_from(data: dict[str, Any]) -> Event:
    """The Event of a dict `problem` found nothing wrong with."""
    updates = {key: str(value).lower() if isinstance(value, bool) else str(value)
               for key, value in (data.get("updates") or {}).items()}
    return Event(data["object_type"], data["object_id"], data["aspect_type"], data["owner_id"],
                 data["subscription_id"], data["event_time"], updates)


def problem(data: Any) -> str | None:
    """What is wrong with a decoded event (None: nothing)."""
    if not isinstance(data, dict):
        return "an event is a JSON object"
    unknown = sorted(set(data) - FIELDS)
    if unknown:
        return f"unknown field(s): {', '.join(unknown)[:200]}"
    for name in INTEGER_FIELDS:
        value = data.get(name)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ID:
            return f"{name} must be a positive integer"
    if data.get("object_type") not in OBJECT_TYPES:
        return f"object_type must be one of {', '.join(OBJECT_TYPES)}"
    if data.get("aspect_type") not in ASPECT_TYPES:
        return f"aspect_type must be one of {', '.join(ASPECT_TYPES)}"
    updates = data.get("updates", {})
    if updates is None:
        return None
    if not isinstance(updates, dict) or len(updates) > MAX_UPDATES:
        return f"updates must be an object of at most {MAX_UPDATES} fields"
    for key, value in updates.items():
        if len(key) > 50 or not isinstance(value, str | bool | int | float) or len(str(value)) > MAX_TEXT:
            return "updates must map short names to short scalar values"
    return None


def foreign(event: Event, config: WebhookConfig) -> str | None:
    """Why an event is not for us (None when it is): Strava stops retrying on 200 either way."""
    if config.subscription_id is None or config.athlete_id is None:
        return "no webhook subscription is stored: run `python -m strava webhook subscribe`"
    if event.subscription_id != config.subscription_id:
        return f"subscription {event.subscription_id} is not ours"
    if event.owner_id != config.athlete_id:
        return f"athlete {event.owner_id} is not ours"
    return None
