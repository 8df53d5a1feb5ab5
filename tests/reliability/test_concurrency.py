"""Two syncs at the same moment, with the refresh token rotating on every refresh.

On DuckDB the file is the lock: the second run waits for the first (bounded), then runs its own
refresh with the token the first one saved. Through the function, one instance runs one sync at a
time (a process lock), the second request waits for it. Each test holds the first run back and checks
from the recorded times that the second really started (or was sent) while the first was running.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
import requests

from tests.harness import assert_mirrors, assert_run_row, wait_until

# The first run's token answer is held back 3 s (within its read timeout: a lost answer would kill the
# rotated token), so the second run provably starts while the first one runs.
HELD = {"STRAVA_READ_TIMEOUT": "20"}


def _hold_the_first_run(project) -> None:
    project.sim.inject("/oauth/token", kind="slow", delay=3, times=1)


def _first_run_is_held(project) -> None:
    wait_until(lambda: project.sim.calls >= 1, what="the first run's token request")


def _server(project, function_server):
    return function_server({**{k: v for k, v in project.env.items() if k.startswith("STRAVA_")}, **HELD})


def _check_both_ok(project, runs: list[dict]) -> None:
    assert [r["status"] for r in runs] == ["ok", "ok"]
    assert all(r["token_rotated"] for r in runs)
    assert sum(r["inserted"] for r in runs) == len(project.truth())  # each row inserted once
    assert project.token() == project.sim.secrets()["refresh_token"]  # no rotation lost
    assert_mirrors(project)


@pytest.mark.sim(activities=600, rotate=True, latency=0.05)
def test_two_cli_syncs_at_the_same_time(project):
    _hold_the_first_run(project)
    first = project.start(**HELD)
    _first_run_is_held(project)
    second = project.start()
    results = [project.wait(first), project.wait(second)]
    for result in results:
        assert_run_row(project, result, "ok")
    runs = project.runs()
    assert runs[1]["started_at"] < runs[0]["finished_at"]  # they overlapped: the second waited for the file
    _check_both_ok(project, runs)
    assert project.sync().summary["status"] == "ok"  # and the saved token still works


@pytest.mark.sim(activities=600, rotate=True, latency=0.05)
def test_two_function_requests_at_the_same_time(project, function_server):
    server = _server(project, function_server)
    _hold_the_first_run(project)
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(requests.post, server.url, json={}, timeout=60)
        _first_run_is_held(project)
        second_sent = datetime.now(UTC)
        second = pool.submit(requests.post, server.url, json={}, timeout=60)
        answers = [first.result(), second.result()]
    assert [a.status_code for a in answers] == [200, 200]
    assert [a.json()["status"] for a in answers] == ["ok", "ok"]
    runs = project.runs()
    # The second request came while the first sync ran, and its sync began only after: one at a time.
    assert second_sent < runs[0]["finished_at"] <= runs[1]["started_at"]
    _check_both_ok(project, runs)
    finished = [line for line in server.json_logs() if line.get("event") == "sync_finished"]
    assert len(finished) == 2 and len({line["run_id"] for line in finished}) == 2


@pytest.mark.sim(activities=600, rotate=True, latency=0.05)
def test_cli_and_function_at_the_same_time(project, function_server):
    server = _server(project, function_server)
    _hold_the_first_run(project)
    cli = project.start(**HELD)
    _first_run_is_held(project)
    sent = datetime.now(UTC)
    answer = requests.post(server.url, json={"full": True}, timeout=60)
    result = project.wait(cli)
    assert answer.status_code == 200 and answer.json()["status"] == "ok"
    assert_run_row(project, result, "ok")
    runs = project.runs()
    # The request came while the CLI's sync ran and its run began before that one finished: it waited for the file.
    assert runs[1]["mode"] == "full"
    assert sent < runs[0]["finished_at"] and runs[1]["started_at"] < runs[0]["finished_at"]
    _check_both_ok(project, runs)
