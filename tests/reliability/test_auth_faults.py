"""OAuth trouble: rotation, races on the refresh token, revoked access, scope, inactive app, token endpoint down."""

from __future__ import annotations

import json

import pytest
import requests

from strava.simulator.server import INACTIVE
from strava.sync import run_sync
from tests.harness import assert_mirrors, assert_run_row, wait_until


@pytest.mark.sim(activities=40, rotate=True)
def test_rotation_on_every_refresh_for_ten_runs_in_a_row(project):
    """In-process (run_sync, the CLI's own call) to keep ten runs fast; same file store, same DuckDB file."""
    seen = {project.token()}
    for n in range(10):
        project.sim.add_activity()
        summary = run_sync(project.settings())
        assert (summary.status, summary.error) == ("ok", None)
        assert summary.token_rotated is True and summary.inserted == (41 if n == 0 else 1)
        token = project.token()
        assert token == project.sim.secrets()["refresh_token"] and token not in seen  # saved before use
        seen.add(token)
        assert project.secrets.stat().st_mode & 0o777 == 0o600
    assert [r["token_rotated"] for r in project.runs()] == [True] * 10
    assert_mirrors(project)


@pytest.mark.sim(activities=40, rotate=True)
def test_rotation_by_a_concurrent_run_is_never_lost(project, tmp_path):
    """Run A's refresh rotates the token but A is slow to save it; run B starts in that gap.

    B reads the old token, Strava refuses it, B watches the store until A has saved the new token
    and continues with it (rotating again). Both end ok: no false "re-authorize" alarm, and the
    token in the store is the one Strava accepts.
    """
    project.sim.inject("/oauth/token", kind="slow", delay=2, times=1)  # A's answer comes 2 s late
    first = project.start(STRAVA_READ_TIMEOUT="20")
    wait_until(lambda: project.sim.calls >= 1, what="run A's token request")
    other = project.sync(STRAVA_WAREHOUSE=f"duckdb:{tmp_path / 'other.duckdb'}", STRAVA_ROTATION_WAIT_SECONDS="5")
    a = project.wait(first)
    assert_run_row(project, a, "ok")
    assert a.summary["token_rotated"] is True
    assert other.code == 0 and other.summary["status"] == "ok", other.summary
    assert other.summary["token_rotated"] is True  # refused once, then A's saved token, rotated again
    assert project.token() == project.sim.secrets()["refresh_token"]  # the latest rotation was saved
    after = project.sync()
    assert_run_row(project, after, "ok")
    assert after.summary["token_rotated"] is True
    assert_mirrors(project)


@pytest.mark.sim(activities=400)
@pytest.mark.parametrize("fault, kind, advice", [
    ("revoke", "refresh_token_invalid", "python -m strava auth"),
    ("scope", "missing_scope", "activity:read_all"),
    ("inactive", "app_inactive", "subscription"),
])
def test_auth_failure_after_a_good_sync_keeps_data_and_alerts(project, fault, kind, advice):
    assert project.sync().code == 0
    if fault == "revoke":
        project.sim.revoke_refresh_token()
    elif fault == "scope":
        project.sim.set_scope("read")  # tokens issued from now on lack activity:read*
    else:
        project.sim.set_inactive(True)
    result = project.sync()
    assert result.code == 1
    row = assert_run_row(project, result, "failed", kind)
    assert advice in row["error_message"]
    assert result.finished()["severity"] == "CRITICAL"  # a person must act: retrying cannot help
    assert project.count() == 400  # nothing lost, nothing half-done
    assert_mirrors(project)


@pytest.mark.sim(activities=1000)
def test_app_deactivated_mid_listing_keeps_earlier_pages(project):
    project.sim.inject(status=403, body=INACTIVE, page=3, times=1)
    result = project.sync()
    row = assert_run_row(project, result, "failed", "app_inactive")
    assert "strava.com/settings/api" in row["error_message"]
    assert project.count() == 400
    assert project.sync().summary["status"] == "ok"
    assert_mirrors(project)


@pytest.mark.sim(activities=200)
def test_token_endpoint_5xx_burst_is_retried(project):
    project.sim.inject("/oauth/token", status=502, times=2)
    project.sim.inject("/oauth/token", kind="reset", times=1)
    result = project.sync()
    assert_run_row(project, result, "ok")
    assert result.summary["api_calls"] == 4 + 2
    assert_mirrors(project)


@pytest.mark.sim(activities=200)
def test_token_endpoint_down_is_strava_unavailable_through_cli_and_function(project, function_server):
    project.sim.inject("/oauth/token", status=503, times=4)
    result = project.sync()
    assert result.code == 1
    row = assert_run_row(project, result, "failed", "strava_unavailable")
    assert "did not answer after 4 attempts (last: 503)" in row["error_message"]
    assert project.token() not in row["error_message"]  # the refresh token it sent is never echoed
    assert result.summary["api_calls"] == 4 and project.count() == 0
    assert result.finished()["severity"] == "ERROR"

    server = function_server({k: v for k, v in project.env.items() if k.startswith("STRAVA_")})
    project.sim.inject("/oauth/token", status=500, times=None)
    down = requests.post(server.url, json={}, timeout=30)
    assert down.status_code == 503  # Cloud Scheduler retries a 503 with backoff
    assert down.json()["error"]["kind"] == "strava_unavailable"
    project.sim.reset_faults()
    project.sim.revoke_refresh_token()
    dead = requests.post(server.url, json={}, timeout=30)
    assert dead.status_code == 500 and dead.json()["error"]["kind"] == "refresh_token_invalid"
    assert [r["error_kind"] for r in project.runs()] == ["strava_unavailable"] * 2 + ["refresh_token_invalid"]
    logged = [line for line in server.json_logs() if line.get("event") == "sync_finished"]
    assert [line["severity"] for line in logged] == ["ERROR", "CRITICAL"]
    assert json.loads(project.secrets.read_text())["client_secret"] not in server.output()


@pytest.mark.sim(activities=40, rotate=True)
def test_token_answer_lost_after_strava_rotated_asks_for_reauthorization(project):
    """Strava rotated (the old token died) but the answer never arrived (read timeout). No client can
    recover the new token: the run and every later one must say plainly to authorize again."""
    project.sim.inject("/oauth/token", kind="slow", delay=2, times=1)
    lost = project.sync(STRAVA_READ_TIMEOUT="0.5", STRAVA_RETRY_SECONDS="5")
    assert lost.code == 1 and lost.kind == "refresh_token_invalid", lost.summary
    assert "python -m strava auth" in lost.summary["error"]["message"]
    assert project.token() != project.sim.secrets()["refresh_token"]
    again = project.sync()
    assert_run_row(project, again, "failed", "refresh_token_invalid")
    assert again.finished()["severity"] == "CRITICAL"
