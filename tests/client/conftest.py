"""Fixtures for the Strava client tests: `responses` for protocol cases, a loopback server for sockets."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace

import pytest
import responses

from strava.client import StravaClient
from strava.http import StravaHTTP
from strava.ratelimit import RateBudget
from strava.settings import Settings
from tests.client.support import API, OAUTH, LoopbackStrava


@pytest.fixture
def api_settings() -> Settings:
    return Settings(api_url=API, oauth_url=OAUTH, retry_seconds=0.5, read_timeout=2.0, connect_timeout=1.0)


@pytest.fixture
def strava_mock() -> Iterator[responses.RequestsMock]:
    # Unmatched requests raise ConnectionError: nothing can reach the internet.
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def client(api_settings: Settings) -> StravaClient:
    return StravaClient(api_settings, StravaHTTP(api_settings, RateBudget(reserve=3)))


@pytest.fixture
def loopback() -> Iterator[LoopbackStrava]:
    with LoopbackStrava() as server:
        yield server


@pytest.fixture
def retry_waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The backoff waits between attempts, recorded instead of slept: tests assert on them, not on the clock."""
    waits: list[float] = []
    monkeypatch.setattr("tenacity.nap.time", SimpleNamespace(sleep=waits.append))  # tenacity's default sleep
    return waits
