"""Protocol layer: one HTTP request to Strava, with timeouts, retries, rate budget and typed errors.

It knows nothing of activities or tokens' meaning; strava/client.py builds the domain calls on it.
Error messages never carry a token, the client secret, a request body or a query string.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
from tenacity import (
    RetryCallState,
    RetryError,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    stop_any,
    wait_random_exponential,
)

from strava.errors import (
    AppInactive,
    BadResponse,
    ConfigError,
    MissingScope,
    NotFound,
    RefreshTokenInvalid,
    StravaUnavailable,
    SyncError,
)
from strava.ratelimit import RateBudget
from strava.settings import Settings

USER_AGENT = "strava-warehouse-sync/1.0 (+https://developers.strava.com)"
MAX_ATTEMPTS = 4
REAUTHORIZE = "Run `python -m strava auth` to authorize again"
# Form fields whose values must never reach a message, even if Strava echoed them back.
SECRET_FIELDS = ("client_secret", "refresh_token", "code", "access_token")
TRANSIENT_ERRORS = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)


class _Transient(Exception):
    """An attempt that may succeed if repeated: no answer, or a 5xx. `what` names it for the final error."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


@dataclass
class _Call:
    """What one logical request sends; `where` names it in messages without its query string."""

    method: str
    url: str
    params: Mapping[str, Any] | None
    # repr=False: these hold the bearer token, client secret or refresh token.
    data: Mapping[str, Any] | None = field(repr=False)
    headers: dict[str, str] = field(repr=False)
    secrets: list[str] = field(repr=False)
    retry_deadline: float | None = None  # set when the first attempt fails: retrying must end by then

    @property
    def where(self) -> str:
        return f"{self.method} {urlsplit(self.url).path or '/'}"

    def redacted(self, error: SyncError) -> SyncError:
        text = str(error)
        for secret in self.secrets:
            text = text.replace(secret, "[redacted]")
        return type(error)(text)


class StravaHTTP:
    """One session to Strava; `calls` counts every request sent (retries too, budget refusals not)."""

    def __init__(
        self, settings: Settings, budget: RateBudget, session: requests.Session | None = None, *,
        clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.budget = budget
        self.session = session or requests.Session()
        self.calls = 0  # HTTP requests actually sent, every retry attempt included
        self.clock, self.sleep = clock, sleep  # injectable: tests pin time instead of measuring it

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | None = None,
        access_token: str | None = None,
    ) -> Any:
        """Send one logical request (retried when transient) and return the parsed JSON body."""
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if access_token:
            headers["Authorization"] = f"Bearer {access_token}"
        secrets = [access_token or ""] + [str((data or {}).get(name) or "") for name in SECRET_FIELDS]
        call = _Call(method.upper(), url, params, data, headers, [s for s in secrets if len(s) >= 4])
        try:
            return self._retrying(call)(self._attempt, call)
        except RetryError as exc:  # only raised when every attempt was transient
            last, count = exc.last_attempt.exception(), exc.last_attempt.attempt_number
            what = last.what if isinstance(last, _Transient) else "no answer"
            raise StravaUnavailable(
                f"Strava did not answer after {count} attempt{'s' * (count != 1)} (last: {what}) "
                "— try again later; nothing was lost"
            ) from last

    def _retrying(self, call: _Call) -> Retrying:
        """Once an attempt has failed, everything after it (waits and attempts) ends within retry_seconds:
        full-jitter exponential backoff scaled to it, no wait that would end past it, and each retry's
        timeouts cut to the time left. The first attempt keeps the configured timeouts."""
        budget = self.settings.retry_seconds

        def out_of_time(state: RetryCallState) -> bool:
            return call.retry_deadline is None or self.clock() + (state.upcoming_sleep or 0) >= call.retry_deadline

        return Retrying(
            retry=retry_if_exception_type(_Transient),
            stop=stop_any(stop_after_attempt(MAX_ATTEMPTS if budget > 0 else 1), out_of_time),  # 0 = no retries
            wait=wait_random_exponential(multiplier=budget / 8, max=budget / 2),
            sleep=self.sleep,
        )

    def _timeouts(self, call: _Call) -> tuple[float, float]:
        connect, read = self.settings.connect_timeout, self.settings.read_timeout
        if call.retry_deadline is None:
            return connect, read
        left = max(call.retry_deadline - self.clock(), 0.001)
        return min(connect, left), min(read, left)

    def _attempt(self, call: _Call) -> Any:
        self.budget.check(is_read=call.method == "GET")
        self.calls += 1
        try:
            response = self.session.request(
                call.method, call.url, params=call.params, data=call.data, headers=call.headers,
                timeout=self._timeouts(call),
            )
        except TRANSIENT_ERRORS as exc:
            raise self._transient(call, type(exc).__name__) from exc
        self.budget.observe(response.headers)
        if response.status_code >= 500:
            raise self._transient(call, str(response.status_code))
        if response.status_code == 429:
            raise self.budget.exceeded(is_read=call.method == "GET")
        if response.status_code >= 400:
            raise call.redacted(fault_error(response, call.where))
        return parse_json(response, call.where)


    def _transient(self, call: _Call, what: str) -> _Transient:
        if call.retry_deadline is None:
            call.retry_deadline = self.clock() + self.settings.retry_seconds
        return _Transient(what)


def fault_errors(response: requests.Response) -> tuple[str, list[tuple[str, str, str]]]:
    """Strava's Fault body -> (message, [(resource, field, code)]); tolerant of any other body."""
    try:
        body = response.json()
    except ValueError:
        return response.reason or "", []
    if not isinstance(body, dict):
        return response.reason or "", []
    items = body.get("errors") if isinstance(body.get("errors"), list) else []
    triples = [
        (str(e.get("resource", "")), str(e.get("field", "")), str(e.get("code", "")))
        for e in items if isinstance(e, dict)
    ]
    return str(body.get("message") or response.reason or "")[:200], triples


def fault_error(response: requests.Response, where: str) -> SyncError:
    """Map a 4xx (not 429) answer to the typed error that tells the user what to do."""
    status = response.status_code
    message, triples = fault_errors(response)
    detail = "; ".join(f"{r} {f} {c}" for r, f, c in triples) or "no details"
    if any(r == "Application" and f in ("client_id", "client_secret") for r, f, _ in triples):
        # Strava answers a wrong client id or secret with 400 Application client_id invalid.
        return ConfigError(
            f"Strava refused {where} ({status} {detail}): the app's client id or secret is wrong: check them "
            f"at https://www.strava.com/settings/api. {REAUTHORIZE} with the right ones."
        )
    if status == 400 and any(r == "RefreshToken" for r, _, _ in triples):
        return RefreshTokenInvalid(
            f"Strava refused the refresh token: it was revoked or replaced. {REAUTHORIZE}."
        )
    if status == 401:
        missing = [f for _, f, c in triples if f.endswith("_permission") and c == "missing"]
        if missing:
            return MissingScope(
                f"Strava refused {where}: the authorization lacks {', '.join(missing)}. {REAUTHORIZE}, "
                'ticking "View data about your private activities" (scope activity:read_all).'
            )
        return RefreshTokenInvalid(
            f"Strava refused the authorization for {where} (401 {message}: {detail}): the access was "
            f"revoked or the credentials are wrong. {REAUTHORIZE}."
        )
    if status == 403 and any((r, f, c) == ("Application", "Status", "Inactive") for r, f, c in triples):
        return AppInactive(
            "Strava answered 403 Application Status Inactive: the Strava API application is inactive. "
            "Since 2026-06-30 an app's owner needs a paid Strava subscription (Standard Tier), or Strava "
            "deactivated the app; the owner must renew the subscription or reactivate the app at "
            "https://www.strava.com/settings/api."
        )
    kind = NotFound if status == 404 else BadResponse
    return kind(f"Strava answered {status} {message} to {where} ({detail})")


def parse_json(response: requests.Response, where: str) -> Any:
    """Parse a 2xx body; HTML, empty or truncated JSON is a BadResponse (never echoed: it may hold tokens)."""
    content_type = response.headers.get("Content-Type", "")
    if "html" in content_type.lower() or response.content.lstrip().startswith(b"<"):
        raise BadResponse(
            f"Strava answered with an HTML page instead of JSON (status {response.status_code}, {where}); "
            "it may be a maintenance page or a proxy in the way — try again later"
        )
    try:
        return json.loads(response.content)
    except ValueError:
        raise BadResponse(
            f"Strava answered {where} with a body that is not valid JSON (status {response.status_code}, "
            f"{len(response.content)} bytes, empty or truncated?) — try again later"
        ) from None
