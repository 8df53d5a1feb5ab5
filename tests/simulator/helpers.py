"""Plain-HTTP helpers for the simulator tests."""

from __future__ import annotations

import requests

from strava.simulator import StravaSimulator


class FakeClock:
    """A settable clock for the simulator's token expiry and rate-limit windows."""

    def __init__(self, now: float = 1_780_000_200.0) -> None:  # 2026-05-28T20:30:00Z, a quarter start
        self.now = now

    def __call__(self) -> float:
        return self.now


def refresh(sim: StravaSimulator, refresh_token: str | None = None, **extra: str) -> requests.Response:
    form = {**sim.secrets(), "grant_type": "refresh_token", **extra}
    if refresh_token is not None:
        form["refresh_token"] = refresh_token
    return requests.post(sim.oauth_url + "/token", data=form, timeout=5)


def access_token(sim: StravaSimulator) -> str:
    response = refresh(sim)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def list_activities(sim: StravaSimulator, token: str, **params: object) -> requests.Response:
    return requests.get(sim.api_url + "/athlete/activities", params=params,
                        headers={"Authorization": f"Bearer {token}"}, timeout=5)


def errors(response: requests.Response) -> list[dict]:
    return response.json()["errors"]
