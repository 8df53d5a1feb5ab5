"""Two syncs at the same moment, with the refresh token rotating on every refresh.

On DuckDB the file is the lock: the second run waits for the first (bounded), then runs its own
refresh with the token the first one saved. Through the function, one instance runs one sync at a
time (a process lock), the second request waits for it.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.harness import assert_mirrors, assert_run_row


def _check_both_ok(project, runs: list[dict]) -> None:
    assert [r["status"] for r in runs] == ["ok", "ok"]
    assert all(r["token_rotated"] for r in runs)
    assert sum(r["inserted"] for r in runs) == len(project.truth())  # each row inserted once
    assert project.token() == project.sim.secrets()["refresh_token"]  # no rotation lost
    assert_mirrors(project)


@pytest.mark.sim(activities=600, rotate=True, latency=0.05)
def test_two_cli_syncs_started_together(project):
    first, second = project.start(), project.start()
    results = [project.wait(first), project.wait(second)]
    for result in results:
        assert_run_row(project, result, "ok")
    _check_both_ok(project, project.runs())
    assert project.sync().summary["status"] == "ok"  # and the saved token still works


@pytest.mark.sim(activities=600, rotate=True, latency=0.05)
def test_two_function_requests_together(project, function_server):
    server = function_server({k: v for k, v in project.env.items() if k.startswith("STRAVA_")})
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda _: requests.post(server.url, json={}, timeout=60), range(2)))
    assert [a.status_code for a in answers] == [200, 200]
    assert [a.json()["status"] for a in answers] == ["ok", "ok"]
    _check_both_ok(project, project.runs())
    finished = [line for line in server.json_logs() if line.get("event") == "sync_finished"]
    assert len(finished) == 2 and len({line["run_id"] for line in finished}) == 2


@pytest.mark.sim(activities=600, rotate=True, latency=0.05)
def test_cli_and_function_together(project, function_server):
    server = function_server({k: v for k, v in project.env.items() if k.startswith("STRAVA_")})
    cli = project.start()
    answer = requests.post(server.url, json={"full": True}, timeout=60)
    result = project.wait(cli)
    assert answer.status_code == 200 and answer.json()["status"] == "ok"
    assert_run_row(project, result, "ok")
    _check_both_ok(project, project.runs())
