"""StravaHTTP: headers, retries, Fault mapping, bodies, budget and call counting (via `responses`)."""

from __future__ import annotations

from dataclasses import replace

import pytest
import requests
import responses

from strava.errors import (
    AppInactive,
    BadResponse,
    MissingScope,
    NotFound,
    RateLimited,
    RefreshTokenInvalid,
    StravaError,
    StravaUnavailable,
)
from strava.http import StravaHTTP
from strava.ratelimit import RateBudget
from strava.settings import Settings
from tests.client.support import ACCESS_TOKEN, ACTIVITIES, API, CLIENT_SECRET, REFRESH_TOKEN, TOKEN_URL

ATHLETE = f"{API}/athlete"


def fault(resource: str, field: str, code: str, message: str = "Bad Request") -> dict:
    return {"message": message, "errors": [{"resource": resource, "field": field, "code": code}]}


@pytest.fixture
def http(api_settings: Settings) -> StravaHTTP:
    return StravaHTTP(api_settings, RateBudget(reserve=3))


def test_bearer_header_user_agent_and_timeouts(http: StravaHTTP, strava_mock: responses.RequestsMock) -> None:
    strava_mock.get(ATHLETE, json={"id": 1})
    assert http.request("GET", ATHLETE, params={"page": 1}, access_token=ACCESS_TOKEN) == {"id": 1}
    sent = strava_mock.calls[0].request
    assert sent.headers["Authorization"] == f"Bearer {ACCESS_TOKEN}"
    assert sent.headers["User-Agent"].startswith("strava-warehouse-sync/")
    assert ACCESS_TOKEN not in sent.url and "access_token" not in sent.url
    assert sent.req_kwargs["timeout"] == (1.0, 2.0)
    assert http.calls == 1


def test_no_authorization_header_without_token(http: StravaHTTP, strava_mock: responses.RequestsMock) -> None:
    strava_mock.post(TOKEN_URL, json={"ok": True})
    http.request("POST", TOKEN_URL, data={"client_secret": CLIENT_SECRET})
    sent = strava_mock.calls[0].request
    assert "Authorization" not in sent.headers
    assert CLIENT_SECRET not in sent.url and CLIENT_SECRET in sent.body


@pytest.mark.parametrize(("status", "body", "error", "words"), [
    (400, fault("RefreshToken", "refresh_token", "invalid"), RefreshTokenInvalid,
     ["refresh token", "revoked or replaced", "python -m strava auth"]),
    (401, fault("AccessToken", "activity:read_permission", "missing", "Authorization Error"), MissingScope,
     ["activity:read_permission", "View data about your private activities", "activity:read_all",
      "python -m strava auth"]),
    (401, fault("Athlete", "access_token", "invalid", "Authorization Error"), RefreshTokenInvalid,
     ["refused the authorization", "Athlete access_token invalid", "python -m strava auth"]),
    (403, fault("Application", "Status", "Inactive", "Forbidden"), AppInactive,
     ["inactive", "paid", "subscription", "deactivated"]),
    (404, {"message": "Record Not Found", "errors": []}, NotFound, ["404", "Record Not Found", "/api/v3/athlete"]),
    (403, fault("Activity", "id", "forbidden", "Forbidden"), BadResponse, ["403"]),
    (422, "not json at all", BadResponse, ["422"]),
])
def test_fault_mapping(http: StravaHTTP, strava_mock: responses.RequestsMock, status: int, body: object,
                       error: type[StravaError], words: list[str]) -> None:
    if isinstance(body, str):
        strava_mock.get(ATHLETE, status=status, body=body)
    else:
        strava_mock.get(ATHLETE, status=status, json=body)
    with pytest.raises(StravaError) as caught:
        http.request("GET", ATHLETE, access_token=ACCESS_TOKEN)
    assert type(caught.value) is error
    for word in words:
        assert word.lower() in str(caught.value).lower()
    assert http.calls == 1  # 4xx is never retried


class PinnedTime:
    """A monotonic clock that moves only when the code under test sleeps or an attempt "takes" time."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def pinned_http(settings: Settings, retry_seconds: float) -> tuple[StravaHTTP, PinnedTime]:
    time_ = PinnedTime()
    return StravaHTTP(replace(settings, retry_seconds=retry_seconds), RateBudget(), clock=time_.clock,
                      sleep=time_.sleep), time_


def test_429_stops_at_once(api_settings: Settings, strava_mock: responses.RequestsMock) -> None:
    http, time_ = pinned_http(api_settings, 6.0)
    strava_mock.get(ATHLETE, status=429, json=fault("Application", "rate limit", "exceeded"),
                    headers={"X-ReadRateLimit-Usage": "100,450", "X-ReadRateLimit-Limit": "100,1000"})
    with pytest.raises(RateLimited, match="15-minute read rate limit 100 of 100.*next run continues"):
        http.request("GET", ATHLETE, access_token=ACCESS_TOKEN)
    assert time_.sleeps == []  # no backoff: the next run continues
    assert http.calls == 1 and len(strava_mock.calls) == 1


def test_5xx_is_retried_then_succeeds(http: StravaHTTP, strava_mock: responses.RequestsMock) -> None:
    strava_mock.get(ATHLETE, status=503, body="<html>busy</html>")
    strava_mock.get(ATHLETE, status=502, json={"message": "bad gateway"})
    strava_mock.get(ATHLETE, json={"id": 7})
    assert http.request("GET", ATHLETE, access_token=ACCESS_TOKEN) == {"id": 7}
    assert http.calls == 3


def test_5xx_exhausted_within_the_time_bound(api_settings: Settings, strava_mock: responses.RequestsMock) -> None:
    http, time_ = pinned_http(api_settings, 1.0)
    strava_mock.get(ATHLETE, status=503, body="unavailable")
    with pytest.raises(StravaUnavailable) as caught:
        http.request("GET", ATHLETE, access_token=ACCESS_TOKEN)
    assert str(caught.value) == ("Strava did not answer after 4 attempts (last: 503) — try again later; "
                                 "nothing was lost")
    assert http.calls == 4 == len(strava_mock.calls) and len(time_.sleeps) == 3
    assert 0 < sum(time_.sleeps) < 1.0  # instant answers: every wait fits in the bound


def test_slow_failures_end_within_the_retry_bound(api_settings: Settings,
                                                  strava_mock: responses.RequestsMock) -> None:
    """Each attempt hangs until its read timeout (2 s, longer than the whole 1.5 s retry bound): the first
    one keeps its timeouts, the retries get only the time left, and retrying ends within the bound."""
    http, time_ = pinned_http(api_settings, 1.5)
    timeouts: list[tuple[float, float]] = []

    def hang_until_timeout(request):
        timeouts.append(request.req_kwargs["timeout"])
        time_.now += timeouts[-1][1]
        raise requests.exceptions.ReadTimeout("no answer")

    strava_mock.add_callback("GET", ATHLETE, callback=hang_until_timeout)
    started = time_.now
    with pytest.raises(StravaUnavailable, match="last: ReadTimeout"):
        http.request("GET", ATHLETE, access_token=ACCESS_TOKEN)
    assert timeouts[0] == (1.0, 2.0)  # api_settings' connect and read timeouts
    assert len(timeouts) >= 2 and all(read < 1.5 for _, read in timeouts[1:])
    assert time_.now - (started + 2.0) <= 1.5  # after the first failure: waits and retries within the bound


def test_zero_retry_budget_means_one_attempt(strava_mock: responses.RequestsMock) -> None:
    http = StravaHTTP(Settings(retry_seconds=0), RateBudget())
    strava_mock.get("https://www.strava.com/api/v3/athlete", status=500)
    with pytest.raises(StravaUnavailable, match="after 1 attempt "):
        http.request("GET", "https://www.strava.com/api/v3/athlete", access_token=ACCESS_TOKEN)
    assert http.calls == 1


def test_connection_error_is_retried(http: StravaHTTP, strava_mock: responses.RequestsMock) -> None:
    strava_mock.get(ATHLETE, body=requests.ConnectionError("connection reset"))
    strava_mock.get(ATHLETE, body=requests.exceptions.ReadTimeout("slow"))
    strava_mock.get(ATHLETE, json=[])
    assert http.request("GET", ATHLETE, access_token=ACCESS_TOKEN) == []
    assert http.calls == 3


@pytest.mark.parametrize(("body", "content_type", "words"), [
    ("<!DOCTYPE html><html><body>Strava is down</body></html>", "text/html", "HTML page instead of JSON"),
    ("  <html>", "application/json", "HTML page instead of JSON"),
    ('[{"id": 1, "name": "Morn', "application/json", "not valid JSON"),
    ("", "application/json", "not valid JSON"),
])
def test_bad_200_bodies(http: StravaHTTP, strava_mock: responses.RequestsMock, body: str, content_type: str,
                        words: str) -> None:
    strava_mock.get(ACTIVITIES, body=body, content_type=content_type)
    with pytest.raises(BadResponse, match=words):
        http.request("GET", ACTIVITIES, access_token=ACCESS_TOKEN)
    assert http.calls == 1


def test_budget_refuses_before_sending(http: StravaHTTP, strava_mock: responses.RequestsMock) -> None:
    strava_mock.get(ATHLETE, json={"id": 1}, headers={"X-ReadRateLimit-Usage": "97,412",
                                                      "X-ReadRateLimit-Limit": "100,1000"})
    http.request("GET", ATHLETE, access_token=ACCESS_TOKEN)
    with pytest.raises(RateLimited, match="97 of 100"):
        http.request("GET", ATHLETE, access_token=ACCESS_TOKEN)
    assert http.calls == 1 == len(strava_mock.calls)


def test_budget_observes_error_responses(http: StravaHTTP, strava_mock: responses.RequestsMock) -> None:
    strava_mock.get(ATHLETE, status=503, headers={"X-ReadRateLimit-Usage": "96,412",
                                                  "X-ReadRateLimit-Limit": "100,1000"})
    strava_mock.get(ATHLETE, status=503, headers={"X-ReadRateLimit-Usage": "97,413",
                                                  "X-ReadRateLimit-Limit": "100,1000"})
    with pytest.raises(RateLimited):  # the 2nd 503 said 97 used: the 3rd attempt is never sent
        http.request("GET", ATHLETE, access_token=ACCESS_TOKEN)
    assert http.calls == 2 == len(strava_mock.calls)
    assert http.budget.snapshot()["read_usage_15min"] == 97


def test_secrets_never_in_messages(http: StravaHTTP, strava_mock: responses.RequestsMock) -> None:
    secret_form = {"client_id": "123", "client_secret": CLIENT_SECRET, "refresh_token": REFRESH_TOKEN,
                   "grant_type": "refresh_token"}
    echoing = {"message": f"bad {CLIENT_SECRET} {REFRESH_TOKEN}", "errors": [
        {"resource": "Client", "field": CLIENT_SECRET, "code": "invalid"}]}
    truncated = f'{{"access_token": "{ACCESS_TOKEN}", "refresh_token": "{REFRESH_TOKEN}'
    cases = [
        (400, {"json": echoing}), (401, {"json": echoing}), (400, {"json": fault("RefreshToken", "x", "invalid")}),
        (200, {"body": truncated}), (200, {"body": f"<html>{REFRESH_TOKEN}</html>"}), (503, {"body": CLIENT_SECRET}),
        (200, {"body": requests.ConnectionError(f"{TOKEN_URL}?client_secret={CLIENT_SECRET}")}),
    ]
    for status, reply in cases:
        strava_mock.reset()
        strava_mock.post(TOKEN_URL, status=status, **reply)
        with pytest.raises(StravaError) as caught:
            http.request("POST", TOKEN_URL, data=secret_form, access_token=ACCESS_TOKEN)
        text = str(caught.value)
        for secret in (CLIENT_SECRET, REFRESH_TOKEN, ACCESS_TOKEN):
            assert secret not in text, (status, text)
