"""Real sockets on 127.0.0.1: read timeouts and refused connections are retried, then reported."""

from __future__ import annotations

import socket

import pytest

from strava.errors import StravaUnavailable
from strava.http import StravaHTTP
from strava.ratelimit import RateBudget
from strava.settings import Settings
from tests.client.support import ACCESS_TOKEN, LoopbackStrava


def test_read_timeout_is_retried(loopback: LoopbackStrava) -> None:
    # The timeout is far from both answers (late by 3x, prompt by 0.5 s) so a loaded machine cannot flip them.
    loopback.script = [(1.5, 200, {"late": True}), (0.0, 200, {"id": 42})]
    http = StravaHTTP(Settings(api_url=loopback.url, read_timeout=0.5, retry_seconds=1.0), RateBudget(),
                      sleep=lambda _: None)
    assert http.request("GET", f"{loopback.url}/athlete", access_token=ACCESS_TOKEN) == {"id": 42}
    assert http.calls == 2 == loopback.hits


def test_read_timeouts_exhausted(loopback: LoopbackStrava) -> None:
    loopback.script = [(0.3, 200, {"late": True})]
    retry_waits: list[float] = []  # the backoff waits, recorded instead of slept
    http = StravaHTTP(Settings(api_url=loopback.url, read_timeout=0.05, retry_seconds=0.4), RateBudget(),
                      sleep=retry_waits.append)
    with pytest.raises(StravaUnavailable, match=r"after \d attempts? \(last: ReadTimeout\)"):
        http.request("GET", f"{loopback.url}/athlete", access_token=ACCESS_TOKEN)
    assert 1 < http.calls <= 4 and len(retry_waits) == http.calls - 1  # a wait before each retry
    assert sum(retry_waits) < 0.4  # the waits stay within retry_seconds


def test_connection_refused_is_retried_then_reported() -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there now
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/athlete"
    http = StravaHTTP(Settings(retry_seconds=0.5, connect_timeout=0.5), RateBudget())
    with pytest.raises(StravaUnavailable, match=r"after 4 attempts \(last: ConnectionError\)") as caught:
        http.request("GET", url, access_token=ACCESS_TOKEN)
    assert ACCESS_TOKEN not in str(caught.value)
    assert http.calls == 4
