"""Validation of the function's HTTP trigger: method, size and JSON body. Pure, so it is easy to fuzz."""

from __future__ import annotations

import json
from dataclasses import dataclass

from strava.webhook import Event, event_from, problem

MAX_BODY_BYTES = 64 * 1024
OPTIONS = {"full": bool, "allow_mass_delete": bool}
EVENT = "webhook_event"  # a Cloud Tasks task's body: {"webhook_event": {...}} and nothing else


@dataclass(frozen=True)
class TriggerOptions:
    full: bool = False
    allow_mass_delete: bool = False
    webhook_event: Event | None = None


@dataclass(frozen=True)
class Rejection:
    status: int
    message: str
    headers: tuple[tuple[str, str], ...] = ()

    @property
    def kind(self) -> str:
        return {405: "method_not_allowed", 413: "body_too_large"}.get(self.status, "bad_request")


def parse_trigger(method: str, body: bytes) -> TriggerOptions | Rejection:
    """`POST` with an empty body or a JSON object of known boolean options; anything else is rejected."""
    if method.upper() != "POST":
        return Rejection(405, f"method {method} not allowed: use POST", (("Allow", "POST"),))
    if len(body) > MAX_BODY_BYTES:
        return Rejection(413, f"request body over {MAX_BODY_BYTES // 1024} KiB")
    if not body.strip():
        return TriggerOptions()
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError; deep nesting recurses
        return Rejection(400, f"body is not valid JSON: {exc}"[:300])
    if not isinstance(payload, dict):
        return Rejection(400, f"body must be a JSON object, got {type(payload).__name__}")
    if EVENT in payload:
        return _event_task(payload)
    unknown = sorted(set(payload) - set(OPTIONS))
    if unknown:
        return Rejection(400, f"unknown option(s) {', '.join(map(repr, unknown))[:200]}; "
                              f"accepted: {', '.join(OPTIONS)}")
    for key, kind in OPTIONS.items():
        if key in payload and type(payload[key]) is not kind:
            return Rejection(400, f"option {key!r} must be true or false, got {json.dumps(payload[key])[:50]}")
    return TriggerOptions(**payload)


def _event_task(payload: dict) -> TriggerOptions | Rejection:
    if len(payload) > 1:
        return Rejection(400, f"{EVENT} comes alone, without other options")
    reason = problem(payload[EVENT])
    return Rejection(400, f"{EVENT}: {reason}") if reason else TriggerOptions(webhook_event=event_from(payload[EVENT]))
