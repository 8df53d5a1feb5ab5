"""Trouble injected into Strava's answers: the fault kinds, which requests a fault hits, and what it does.

"status", "html", "not_list" and "reset" answer instead of the API (the request is still counted and
logged); "truncated", "missing_id" and "type_change" break the API's own answer; "slow" only delays.
"reset" is carried out by the HTTP handler, which closes the connection without answering.
"""

from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from strava.simulator.wire import API, Response, encode, guess_type

FAULT_KINDS = ("status", "html", "truncated", "not_list", "reset", "slow", "missing_id", "type_change")
REPLACING = ("status", "html", "not_list", "reset")  # these answer instead of the API
HTML_PAGE = (b"<!DOCTYPE html><html><head><title>We're sorry, but something went wrong (500)</title>"
             b"</head><body><h1>Strava is temporarily unavailable</h1></body></html>")


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

    def __post_init__(self) -> None:
        # Refuse a bad spec when it is injected, not when a request later trips over it.
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"fault kind must be one of {', '.join(FAULT_KINDS)}, got {self.kind!r}")
        if self.kind == "status" and self.status is None:
            raise ValueError("a 'status' fault needs a status")
        if self.times is not None and self.times < 1:
            raise ValueError("times must be at least 1 (or None: until reset_faults())")

    def matches(self, path: str, query: dict[str, str]) -> bool:
        """The prefix may be given with or without /api/v3; `page` narrows it to one page of a list."""
        if not (path.startswith(self.path_prefix) or path.startswith(API + self.path_prefix)):
            return False
        return self.page is None or _int_or(query.get("page"), 1) == self.page


def _int_or(text: str | None, default: int) -> int:
    try:
        return int(text) if text not in (None, "") else default
    except ValueError:
        return default


class FaultQueue:
    """Pending faults, oldest first; the first that matches a request is used up by it."""

    def __init__(self) -> None:
        self._pending: list[Fault] = []

    def __len__(self) -> int:
        return len(self._pending)

    def add(self, fault: Fault) -> None:
        self._pending.append(fault)

    def clear(self) -> None:
        self._pending.clear()

    def take(self, path: str, query: dict[str, str]) -> Fault | None:
        """The fault for this request, if any, counting one of its `times`."""
        fault = next((f for f in self._pending if f.matches(path, query)), None)
        if fault is not None and fault.times is not None:
            fault.times -= 1
            if fault.times <= 0:
                self._pending.remove(fault)
        return fault


def apply_fault(fault: Fault | None, response: Response) -> Response:
    """Rewrite the API's answer as the fault says ("reset" is handled by the HTTP handler)."""
    if fault is None or response.status in (403, 429):
        return response  # rate limits and inactivity win over injected trouble
    if fault.kind in ("status", "html", "not_list"):
        return _replacement(fault, response.headers)
    if response.status == 200:
        return _broken(fault, response)
    return response


def _replacement(fault: Fault, headers: dict[str, str] | None) -> Response:
    """The answer a replacing fault sends instead of the API's."""
    status = fault.status or 200  # a "status" fault always has one (Fault.__post_init__)
    if fault.kind == "html":
        return Response(status, fault.body or HTML_PAGE, fault.content_type or "text/html", headers)
    body = fault.body
    if body is None:
        body = ({"message": HTTPStatus(status).phrase, "errors": []} if fault.kind == "status"
                else {"message": "OK", "activities": []})
    return Response(status, body, fault.content_type or guess_type(body), headers)


def _broken(fault: Fault, response: Response) -> Response:
    """A 200 answer cut in half, or with one item of a list missing its id or with a changed type."""
    if fault.kind == "truncated":
        raw = encode(response.body)
        return Response(200, raw[: max(1, len(raw) // 2)], response.content_type, response.headers)
    if fault.kind in ("missing_id", "type_change") and response.body and isinstance(response.body, list):
        body = list(response.body)
        i = len(body) // 2
        body[i] = dict(body[i])  # the stored activity stays intact
        if fault.kind == "missing_id":
            del body[i]["id"]
        else:
            body[i]["distance"] = f"{(body[i].get('distance') or 0) / 1000:.1f}km"
        return Response(200, body, response.content_type, response.headers)
    return response
