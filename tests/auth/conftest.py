"""Drive `run_auth` like a person would: run it, read the URL it prints, "click" it with requests."""

from __future__ import annotations

import io
import re
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from strava.auth import run_auth
from strava.settings import Settings
from strava.simulator import StravaSimulator

URL = re.compile(r"^\s*(http://\S+/oauth/authorize\?\S+)$", re.M)


@dataclass
class AuthRun:
    """A `run_auth` call in a thread, with its terminal output."""

    future: Future
    out: io.StringIO

    def url(self, wait: float = 5.0) -> str:
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if found := URL.search(self.out.getvalue()):
                return found.group(1)
            if self.future.done():
                break
            time.sleep(0.01)
        raise AssertionError(f"no authorize URL printed:\n{self.out.getvalue()}")

    def query(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(urlsplit(self.url()).query).items()}

    def click(self) -> requests.Response:
        """The browser step: open the URL; requests follows Strava's 302 to the local callback."""
        return requests.get(self.url(), timeout=5)

    def result(self, timeout: float = 10.0) -> int:
        return self.future.result(timeout=timeout)

    @property
    def output(self) -> str:
        return self.out.getvalue()


@pytest.fixture(autouse=True)
def no_real_browser(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may open a real browser or read the real terminal."""
    def refuse(*args: object, **kwargs: object) -> bool:
        raise AssertionError("webbrowser.open called")

    monkeypatch.setattr("webbrowser.open", refuse)
    monkeypatch.setattr("strava.auth._interactive", lambda: False)
    for name in ("STRAVA_CLIENT_ID", "STRAVA_CLIENT_SECRET", "DISPLAY", "WAYLAND_DISPLAY", "BROWSER"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def sim(make_simulator: Callable[..., StravaSimulator]) -> StravaSimulator:
    return make_simulator(activities=5, seed=3)


@pytest.fixture
def settings(sim: StravaSimulator, tmp_path) -> Settings:
    return Settings(api_url=sim.api_url, oauth_url=sim.oauth_url, secrets=f"file:{tmp_path / 'secrets.json'}",
                    retry_seconds=0.5, read_timeout=2.0, connect_timeout=1.0)


@pytest.fixture
def start_auth(settings: Settings, sim: StravaSimulator) -> Iterator[Callable[..., AuthRun]]:
    """`start_auth(**run_auth kwargs)`: the simulator's app credentials, no browser, 10 s timeout."""
    pool = ThreadPoolExecutor(max_workers=2)

    def start(settings_: Settings | None = None, **kwargs: object) -> AuthRun:
        out = io.StringIO()
        app = {"client_id": sim.client_id, "client_secret": sim.client_secret}
        kwargs = {**app, "open_browser": False, "timeout": 10, "out": out, **kwargs}
        return AuthRun(pool.submit(run_auth, settings_ or settings, **kwargs), out)

    yield start
    pool.shutdown(wait=True)

