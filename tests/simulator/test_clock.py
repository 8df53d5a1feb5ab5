"""The simulator's virtual clock, driven over /_sim/config: rate windows, token expiry and uploads follow it."""

from __future__ import annotations

import requests

from strava.simulator.data import parse_iso
from strava.simulator.ratelimits import QUARTER
from tests.harness import pinned_clock
from tests.simulator.helpers import access_token, list_activities


def config(sim, **body) -> requests.Response:
    return requests.post(sim.url + "/_sim/config", json=body, timeout=5)


def test_jumping_to_the_next_quarter_hour_resets_only_the_short_window(make_simulator) -> None:
    sim = make_simulator(activities=20, clock=pinned_clock, read_limits=(3, 5))
    token = access_token(sim)
    assert [list_activities(sim, token).status_code for _ in range(4)] == [200, 200, 200, 429]
    next_quarter = (pinned_clock() // QUARTER + 1) * QUARTER
    state = config(sim, clock=next_quarter).json()
    assert state["now"] == next_quarter and state["rate"]["read_usage"] == [0, 4]  # refused ones count daily
    answer = list_activities(sim, token)
    assert answer.status_code == 200 and answer.headers["X-ReadRateLimit-Usage"] == "1,5"
    assert list_activities(sim, token).status_code == 429  # the day is spent
    config(sim, advance_clock=86400)
    assert list_activities(sim, access_token(sim)).status_code == 200  # a new day (and a fresh token)


def test_new_uploads_are_stamped_with_the_virtual_now(make_simulator) -> None:
    sim = make_simulator(activities=5, clock=pinned_clock)
    config(sim, advance_clock=3 * 86400)
    added = sim.add_activity()
    assert parse_iso(added["start_date"]) == pinned_clock() + 3 * 86400 - 2 * 3600  # started 2 h before "now"


def test_the_clock_never_runs_backwards(make_simulator) -> None:
    sim = make_simulator(activities=5, clock=pinned_clock)
    answer = config(sim, clock=pinned_clock() - 60)
    assert answer.status_code == 400 and "only moves forward" in answer.json()["error"]
    assert sim.now() == pinned_clock()
