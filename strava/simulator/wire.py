"""What the simulator's answers look like on the wire: the API prefix, Strava's Fault bodies, JSON bytes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

API = "/api/v3"
JSON_TYPE = "application/json; charset=utf-8"


@dataclass
class Response:
    status: int
    body: Any = None  # JSON value, or bytes sent as they are
    content_type: str = JSON_TYPE
    headers: dict[str, str] | None = None


def fault_body(message: str, resource: str, field: str, code: str) -> dict:
    """Strava's error shape: {"message", "errors": [{"resource", "field", "code"}]}."""
    return {"message": message, "errors": [{"resource": resource, "field": field, "code": code}]}


BAD_ACCESS_TOKEN = fault_body("Authorization Error", "Athlete", "access_token", "invalid")
MISSING_SCOPE = fault_body("Authorization Error", "AccessToken", "activity:read_permission", "missing")
# /athlete/zones without profile:read_all: the recorded shape above, for the profile permission (not recorded).
MISSING_PROFILE_SCOPE = fault_body("Authorization Error", "AccessToken", "profile:read_all_permission", "missing")
INACTIVE = fault_body("Forbidden", "Application", "Status", "Inactive")
RATE_LIMITED = fault_body("Rate Limit Exceeded", "Application", "rate limit", "exceeded")
# Strava's answer to a token request with an unknown client id or a wrong secret (recorded: 400, field client_id).
BAD_CLIENT = fault_body("Bad Request", "Application", "client_id", "invalid")
DEAD_REFRESH = fault_body("Bad Request", "RefreshToken", "refresh_token", "invalid")
NOT_FOUND = fault_body("Record Not Found", "resource", "path", "invalid")


def bad_request(resource: str, field: str) -> Response:
    return Response(400, fault_body("Bad Request", resource, field, "invalid"))


def encode(body: Any) -> bytes:
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode()
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def guess_type(body: Any) -> str:
    """Text bodies (injected by a fault) go out as text, anything else as JSON."""
    return "text/plain; charset=utf-8" if isinstance(body, (str, bytes)) else JSON_TYPE
